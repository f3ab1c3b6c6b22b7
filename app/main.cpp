// erc20-indexer: parse the command line, hand over to the daemon or an admin command.

#include <malloc.h>

#include <iostream>
#include <string>
#include <vector>

#include "admin/command.hpp"
#include "app/daemon.hpp"
#include "config/settings.hpp"

#ifndef ERC20_INDEXER_VERSION
#define ERC20_INDEXER_VERSION "0.0.0"
#endif

namespace {
// "erc20-indexer 0.1.0 (systemd notify: yes)": scripts/install-service.sh
// refuses a binary that says "no", since the unit is Type=notify.
void print_version() {
#ifdef ERC20_HAVE_SYSTEMD
    constexpr const char* kNotify = "yes";
#else
    constexpr const char* kNotify = "no (built with -DERC20_SYSTEMD=OFF)";
#endif
    std::cout << "erc20-indexer " << ERC20_INDEXER_VERSION << " (systemd notify: " << kNotify
              << ")\n";
}

void usage(std::ostream& out) {
    out << "Usage: erc20-indexer <command> [options]\n\nCommands:\n"
        << erc20::config::commands_help()
        << "\n`erc20-indexer <command> --help` lists a command's options.\n"
        << "  --help     print this help\n"
        << "  --version  print the version\n";
}
}  // namespace

int main(int argc, char** argv) {
    // Write batches and decoded ranges are large, short-lived buffers made on
    // several threads. A fixed mmap threshold hands the largest (a write
    // batch's row arenas) back to the system when they are freed (glibc's
    // sliding threshold would move them into per-thread heaps that keep their
    // peak: 800 MiB instead of 400 backfilling 1M transfers), while answers
    // and decoded ranges (1-6 MB each) are reused from the heap instead of
    // being page-faulted in afresh (1 MiB: 10% slower). Two arenas bound the heaps.
    mallopt(M_MMAP_THRESHOLD, 8 << 20);
    mallopt(M_ARENA_MAX, 2);
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        usage(std::cerr);
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        usage(std::cout);
        return 0;
    }
    if (args[0] == "--version") {
        print_version();
        return 0;
    }
    const std::string command = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        auto parsed = erc20::config::parse_options(command, rest, erc20::config::process_env());
        if (parsed.action == erc20::config::Action::kHelp) {
            std::cout << parsed.help;
            return 0;
        }
        if (parsed.action == erc20::config::Action::kVersion) {
            print_version();
            return 0;
        }
        if (command == "run") return erc20::app::run_daemon(parsed.settings, rest);
        // An admin command logs warnings only (offline, its actions log as the daemon's would).
        erc20::config::Settings quiet = parsed.settings;
        quiet.log_level = "warn";
        erc20::app::setup_logging(quiet);
        return erc20::admin::run_command(parsed);
    } catch (const erc20::config::ConfigError& e) {
        std::cerr << "erc20-indexer: " << e.what() << "\n";
        if (std::string(e.what()).rfind("unknown command", 0) == 0) usage(std::cerr);
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "erc20-indexer: " << e.what() << "\n";
        return 1;
    }
}
