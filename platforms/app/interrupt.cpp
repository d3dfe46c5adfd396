#include "platforms/app/interrupt.h"

#include <csignal>

namespace platform {

namespace {

volatile std::sig_atomic_t interrupt_requested = 0;
struct sigaction previous_action;

void on_sigint(int) { interrupt_requested = 1; }

}  // namespace

InterruptGuard::InterruptGuard() {
    interrupt_requested = 0;
    struct sigaction action = {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;  // the second SIGINT takes the default action
    sigaction(SIGINT, &action, &previous_action);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &previous_action, nullptr); }

bool InterruptGuard::requested() const { return interrupt_requested != 0; }

}  // namespace platform
