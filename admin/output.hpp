#pragma once
// What the admin commands print: an action's JSON answer as a human summary
// (or as it is with --json) and its exit code, and the progress line of a
// long action.

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "config/settings.hpp"

namespace erc20::admin {

/// Reads a JSON field into `out` when present and of the right type.
template <class T>
bool read_field(simdjson::simdjson_result<simdjson::dom::element> field, T& out) {
    return field.get(out) == simdjson::SUCCESS;
}

/// The human summary of status (the daemon's /v1/status or the offline answer).
void print_status(simdjson::dom::element doc, std::ostream& out);

/// Prints the answer of `c`'s action (HTTP `status`, JSON `body`): the body
/// with --json, else a summary on `out` (an error's message on `err`).
/// Returns the exit code: 0, 1 for a failure or a verify mismatch, 2 for a
/// refused add-tokens (a bad --tokens).
int print_answer(const config::CommandOptions& c, unsigned status, const std::string& body,
                 std::ostream& out = std::cout, std::ostream& err = std::cerr);

/// What `status --json` adds to the /v1/status object, under "local": how
/// the command got it and what it sees itself.
struct LocalFigures {
    std::string source;                    // "daemon" (its /v1/status) or "database" (--db read)
    std::string listen;                    // the daemon's URL the command tried
    std::string db;                        // --db, absolute
    std::optional<uint64_t> db_dir_bytes;  // the files under --db (nullopt: no such folder)
    std::optional<uint64_t> node_block;    // the node's head as the command read it (offline)
};

/// The bytes of the files under `dir`; nullopt when it is not a folder.
[[nodiscard]] std::optional<uint64_t> folder_bytes(const std::string& dir);

/// `body` (a JSON object) with `local` added as its "local" key; `body` as
/// it is when it is not an object.
[[nodiscard]] std::string with_local(const std::string& body, const LocalFigures& local);

/// Whether stderr is a terminal.
[[nodiscard]] bool stderr_is_terminal();

/// A long action's progress (nothing with --json). On a terminal, one line
/// rewritten in place ("\r"); elsewhere (a pipe, a log file) a plain line
/// at most every `every_s` seconds of the action, and the last figures at
/// finish(), so that logs get whole lines.
class ProgressLine {
  public:
    explicit ProgressLine(const config::CommandOptions& c, std::ostream& out = std::cerr,
                          bool terminal = stderr_is_terminal(), double every_s = 5.0)
        : name_(c.name), quiet_(c.json), out_(out), terminal_(terminal), every_s_(every_s) {}
    /// `done` of `total` `unit` (total 0: no measure), `elapsed_s` into the action.
    void show(uint64_t done, uint64_t total, std::string_view unit, double elapsed_s);
    /// `text` as the progress; a `fraction` from 0 to 1 is drawn as a bar on
    /// a terminal (negative: none).
    void show_text(const std::string& text, double fraction, double elapsed_s);
    /// Ends the line on a terminal; elsewhere writes figures not written yet.
    void finish();

  private:
    std::string name_;
    bool quiet_;
    std::ostream& out_;
    bool terminal_;
    double every_s_;
    bool open_ = false;    // a terminal line waits for its end
    std::string pending_;  // elsewhere: the latest figures, not written yet
    double written_at_ = -1;
};

}  // namespace erc20::admin
