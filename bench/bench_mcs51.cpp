#include "bench_mcs51.h"

#include "models/mfd/mcs51.h"
#include "models/mfd/mcs51_plain_memory.h"
#include "oracle/intel_hex.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <regex>

namespace {

using Clock = std::chrono::steady_clock;

// Runs s51 on `commands` (its console on stdin); returns the wall time and fills `output`.
double time_s51(const std::string& s51, const std::string& image, const std::string& commands, std::string& output) {
    std::string shell = "printf '" + commands + "quit\\n' | '" + s51 + "' -t C52 -b '" + image + "' 2>&1";
    Clock::time_point start = Clock::now();
    FILE* pipe = popen(shell.c_str(), "r");
    if (!pipe)
        return -1;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0)
        output.append(chunk, n);
    int status = pclose(pipe);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return status == 0 ? seconds : -1;
}

}  // namespace

Mcs51Measurement run_mcs51(const std::string& image, const std::string& s51, uint64_t s51_instructions) {
    Mcs51Measurement m;
    m.s51_instructions = s51_instructions;
    m.dmasim_instructions = 10 * s51_instructions;

    std::string startup_output, run_output;
    double startup = time_s51(s51, image, "", startup_output);
    double run = time_s51(s51, image, "step " + std::to_string(s51_instructions) + "\\n", run_output);
    std::smatch stop;
    if (startup < 0 || run < 0 || !std::regex_search(run_output, stop, std::regex("Stop at 0x([0-9a-f]+)"))) {
        m.error = "s51 failed on " + image + ": " + run_output.substr(0, 500);
        return m;
    }
    m.s51_seconds = run - startup;
    m.s51_pc = unsigned(std::stoul(stop[1].str(), nullptr, 16));

    models::Mcs51PlainMemory memory;
    models::Mcs51 cpu(memory);
    try {
        oracle::load_intel_hex(image, cpu);
    } catch (const std::exception& error) {
        m.error = error.what();
        return m;
    }
    Clock::time_point start = Clock::now();
    while (cpu.instructions() < s51_instructions)
        cpu.step();
    m.dmasim_pc = cpu.pc();
    while (cpu.instructions() < m.dmasim_instructions)
        cpu.step();
    m.dmasim_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return m;
}
