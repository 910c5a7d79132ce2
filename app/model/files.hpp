// Files: bounded reads, atomic writes, and the XDG config directory.
//
// Usage:
//   write_file_atomic(config_dir() / "session.json", text);            // replace, atomically
//   write_file_exclusive(folder / "genlab-rf-20260101-120000.png", png);  // never overwrites
//   std::string text = read_file_bounded(path, 16 << 20);
#pragma once

#include <filesystem>
#include <string>

namespace genlab {

namespace fs = std::filesystem;

// Reads a whole regular file; throws UserError when it is missing, unreadable, larger than
// max_bytes, or not a regular file, naming what it is ("is a directory", "is not a regular
// file (a FIFO)", "is a /proc file", "symlink loop"). Nothing is read without a bound.
std::string read_file_bounded(const fs::path& path, size_t max_bytes);

// Writes to a temp file in the same folder, fsyncs it, then renames it over `path`, so a
// crash leaves either the old file or the new one. A symlink at `path` is kept: the write
// goes to its target. Only a regular file is ever replaced: a directory, device, FIFO or
// socket at `path` is an error and is left as it is. An empty path is an error. Throws
// UserError naming the path and the reason.
void write_file_atomic(const fs::path& path, const std::string& bytes);

// For command-line outputs (--report, --screenshot): a character device or a FIFO at `path`
// (/dev/stdout, /dev/null, a shell's >(...)) is written to as a stream; anything else goes
// through write_file_atomic. A FIFO with no reader is an error, not a hang.
void write_output(const fs::path& path, const std::string& bytes);

// "a directory", "a FIFO", "a character device", "a socket", "a block device": what a
// non-regular file is, for error texts; "" for a regular file or nothing at all.
std::string special_file_kind(const fs::path& path);

// Like write_file_atomic, but fails (UserError) if `path` already exists: exports never
// overwrite. Uses link(2), which refuses an existing name atomically.
void write_file_exclusive(const fs::path& path, const std::string& bytes);

// $XDG_CONFIG_HOME/genlab, or $HOME/.config/genlab, or (HOME unset) the user's home from the
// password database; created on demand. Throws UserError when there is no home, or when the
// folder is a file or cannot be created: never a shared folder such as /tmp/genlab.
fs::path config_dir();

// A free name `<folder>/<stem>-<YYYYmmdd-HHMMSS>[-N].<ext>` at the current local time.
fs::path unique_export_path(const fs::path& folder, const std::string& stem,
                            const std::string& ext);

}  // namespace genlab
