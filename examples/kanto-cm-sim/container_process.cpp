// kanto-cm-sim-process: what a simulated container runs when its cmd is not a host executable. It
// waits for signals and ends the way the chosen kind of image does, also as PID 1 of its own PID
// namespace (where the kernel drops a signal that has no handler):
//   term-exits     SIGTERM, SIGINT, SIGHUP or SIGQUIT end it with 128 + the signal, as an image
//                  whose entrypoint does not handle them (the simulator's default);
//   term-graceful  SIGTERM: it waits 0.5 s and exits 0, like a shell entrypoint with a trap (the
//                  busybox image of the recorded conformance scenario);
//   term-ignored   SIGTERM is ignored: only SIGKILL ends it (a PID 1 without handlers).
// No libraries beyond libc: a simulator starts thousands of these.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>

namespace {

volatile sig_atomic_t received = 0;

void on_signal(int sig) {
    received = sig;
}

void handle(int sig, void (*handler)(int)) {
    struct sigaction sa {};
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "term-exits";
    const bool graceful = std::strcmp(mode, "term-graceful") == 0;
    const bool ignored = std::strcmp(mode, "term-ignored") == 0;
    if (!graceful && !ignored && std::strcmp(mode, "term-exits") != 0) {
        static const char usage[] = "usage: kanto-cm-sim-process term-exits|term-graceful|term-ignored\n";
        [[maybe_unused]] auto n = ::write(2, usage, sizeof usage - 1);
        return 2;
    }
    handle(SIGTERM, ignored ? SIG_IGN : on_signal);
    if (!graceful) {
        for (int sig : {SIGINT, SIGHUP, SIGQUIT}) handle(sig, on_signal);
    }
    // Signals stay blocked except while waiting (sigsuspend unblocks and waits in one step, so
    // none is lost in between). The simulator starts it with them blocked: one that came before
    // the handlers were in place is delivered at the first wait.
    sigset_t stop, none;
    sigemptyset(&stop);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&stop, sig);
    sigemptyset(&none);
    ::sigprocmask(SIG_BLOCK, &stop, nullptr);
    for (;;) {
        ::sigsuspend(&none);
        if (received == 0) continue;
        if (graceful) {
            timespec half{0, 500'000'000};
            while (::nanosleep(&half, &half) != 0) {
            }
            return 0;
        }
        return 128 + received;
    }
}
