// The one place where failure kinds become exit codes: 0 ok, 1 runtime (I/O, resources), 2 usage/config.
#pragma once
#include <exception>
#include <iostream>

#include "sim/spec/errors.hpp"

namespace nmsim {

enum ExitCode : int { exit_ok = 0, exit_runtime = 1, exit_config = 2, exit_violation = 3 };

// Runs `body`, prints any error as "nmsim: error: ..." on stderr and returns the exit code.
template <class F> int run_guarded(F&& body) {
    try {
        return body();
    } catch (const ConfigError& e) {
        std::cerr << "nmsim: config error: " << e.what() << "\n";
        return exit_config;
    } catch (const UsageError& e) {
        std::cerr << "nmsim: usage error: " << e.what() << "\n";
        return exit_config;
    } catch (const ResourceError& e) {
        std::cerr << "nmsim: resource error: " << e.what() << "\n";
        return exit_runtime;
    } catch (const IoError& e) {
        std::cerr << "nmsim: I/O error: " << e.what() << "\n";
        return exit_runtime;
    } catch (const std::exception& e) {
        std::cerr << "nmsim: error: " << e.what() << "\n";
        return exit_runtime;
    }
}

} // namespace nmsim
