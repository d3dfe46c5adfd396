// A simulated data abort: the software's access could not complete. Thrown from the memory path
// and caught by the core, which logs it, counts it and ends the run with a simulation error.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace models {

class AccessFault : public std::runtime_error {
public:
    enum class Kind { translation, bus_error };
    AccessFault(Kind kind, uint64_t address, const std::string& what)
        : std::runtime_error(what), kind(kind), address(address) {}
    Kind kind;
    uint64_t address;  // virtual for translation faults, physical for bus errors
};

}  // namespace models
