#include "files.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>

#include "errors.hpp"

namespace genlab {

namespace {

std::string os_error(const std::string& what, const fs::path& path) {
    return what + " '" + path.string() + "': " + std::strerror(errno);
}

// What stat(2) says `path` is, following symlinks; errno from stat when it fails.
std::string kind_of(const struct stat& st) {
    if (S_ISDIR(st.st_mode)) return "a directory";
    if (S_ISFIFO(st.st_mode)) return "a FIFO";
    if (S_ISCHR(st.st_mode)) return "a character device";
    if (S_ISBLK(st.st_mode)) return "a block device";
    if (S_ISSOCK(st.st_mode)) return "a socket";
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    return "";
}

// Files of /proc and /sys report a size of 0 (or 4096) whatever they hold, and some never end.
bool on_pseudo_filesystem(const fs::path& path) {
    struct statfs fs_info {};
    if (::statfs(path.c_str(), &fs_info) != 0) return false;
    return fs_info.f_type == PROC_SUPER_MAGIC || fs_info.f_type == SYSFS_MAGIC;
}

void write_all(int fd, const std::string& bytes, const fs::path& target) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw UserError(os_error("cannot write", target));
        done += static_cast<size_t>(n);
    }
}

// Writes bytes to a fresh temp file beside `target` and fsyncs it; returns its path.
fs::path write_temp_beside(const fs::path& target, const std::string& bytes) {
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::random_device rd;
    const fs::path temp =
        folder / ("." + target.filename().string() + ".tmp-" + std::to_string(rd()));
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw UserError(os_error("cannot write in folder", folder));
    try {
        write_all(fd, bytes, target);
    } catch (const UserError&) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    const bool synced = ::fsync(fd) == 0;
    const bool closed = ::close(fd) == 0;  // always closed, even when fsync failed
    if (!synced || !closed) {
        const std::string message = os_error("cannot flush", target);
        ::unlink(temp.c_str());
        throw UserError(message);
    }
    return temp;
}

void fsync_folder(const fs::path& file) {
    const fs::path folder = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

std::string special_file_kind(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "";
    return kind_of(st);
}

std::string read_file_bounded(const fs::path& path, size_t max_bytes) {
    const std::string name = "'" + path.string() + "'";
    if (path.empty()) throw UserError("cannot read '': the path is empty");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ELOOP) throw UserError("cannot read " + name + ": symlink loop");
        if (errno == ENOENT) throw UserError("cannot read " + name + ": no such file");
        throw UserError(os_error("cannot read", path));
    }
    const std::string kind = kind_of(st);
    if (kind == "a directory") throw UserError("cannot read " + name + ": it is a directory");
    if (!kind.empty())
        throw UserError("cannot read " + name + ": it is not a regular file (" + kind + ")");
    if (on_pseudo_filesystem(path)) {
        throw UserError("cannot read " + name +
                        ": it is a /proc or /sys file, not a session or preset");
    }
    const auto size = static_cast<std::uintmax_t>(st.st_size);
    if (size > max_bytes) {
        throw UserError("'" + path.string() + "' is " + std::to_string(size >> 20) +
                        " MB; the limit is " + std::to_string(max_bytes >> 20) + " MB");
    }
    std::ifstream in(path, std::ios::binary);
    std::string text(size, '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size))) {
        throw UserError("cannot read '" + path.string() + "'");
    }
    return text;
}

void write_file_atomic(const fs::path& path, const std::string& bytes) {
    if (path.empty()) throw UserError("cannot write '': the path is empty");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !kind_of(st).empty()) {
        throw UserError("cannot write '" + path.string() + "': it is " + kind_of(st) +
                        ", and only a regular file is replaced");
    }
    std::error_code ec;
    fs::path target = path;
    if (fs::is_symlink(path, ec)) {  // keep the link: replace what it points at
        target = fs::read_symlink(path, ec);
        if (target.is_relative()) target = path.parent_path() / target;
    }
    const fs::path temp = write_temp_beside(target, bytes);
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        const std::string message = os_error("cannot replace", target);
        ::unlink(temp.c_str());
        throw UserError(message);
    }
    fsync_folder(target);
}

void write_output(const fs::path& path, const std::string& bytes) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0 ||
        !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
        write_file_atomic(path, bytes);
        return;
    }
    // O_NONBLOCK first: opening a FIFO nobody reads fails with ENXIO instead of waiting.
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENXIO) {
            throw UserError("cannot write '" + path.string() + "': the FIFO has no reader");
        }
        throw UserError(os_error("cannot write", path));
    }
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);  // then block as a pipe normally does
    try {
        write_all(fd, bytes, path);
    } catch (const UserError&) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) throw UserError(os_error("cannot write", path));
}

void write_file_exclusive(const fs::path& path, const std::string& bytes) {
    if (path.empty()) throw UserError("cannot write '': the path is empty");
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec))) {
        throw UserError("'" + path.string() + "' already exists; exports never overwrite");
    }
    const fs::path temp = write_temp_beside(path, bytes);
    int linked = ::link(temp.c_str(), path.c_str());
    int link_errno = errno;
    if (linked != 0 && link_errno != EEXIST) {
        // FAT/exFAT and some network shares have no hard links; RENAME_NOREPLACE is just as
        // atomic and exclusive where the filesystem supports it.
        linked = ::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
        link_errno = errno;
    }
    ::unlink(temp.c_str());  // after a rename this finds nothing, which is fine
    if (linked != 0) {
        errno = link_errno;
        throw UserError(link_errno == EEXIST
                            ? "'" + path.string() + "' already exists; exports never overwrite"
                            : os_error("cannot create", path));
    }
    fsync_folder(path);
}

fs::path config_dir() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    fs::path base;
    if (xdg && *xdg && fs::path(xdg).is_absolute()) {
        base = xdg;
    } else if (home && *home) {
        base = fs::path(home) / ".config";
    } else if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir && *pw->pw_dir) {
        base = fs::path(pw->pw_dir) / ".config";  // HOME unset: the user's home, never /tmp
    } else {
        throw UserError(
            "there is no config folder: HOME is not set and the user has no home "
            "directory; set HOME or XDG_CONFIG_HOME");
    }
    const fs::path dir = base / "genlab";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir)) {
        throw UserError("the config folder '" + dir.string() + "' " +
                        (fs::exists(fs::symlink_status(dir, ec))
                             ? std::string("is not a folder")
                             : "cannot be created (" + ec.message() + ")"));
    }
    return dir;
}

fs::path unique_export_path(const fs::path& folder, const std::string& stem,
                            const std::string& ext) {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
    const std::string base = stem + "-" + stamp;
    fs::path candidate = folder / (base + "." + ext);
    std::error_code ec;
    for (int i = 2; fs::exists(fs::symlink_status(candidate, ec)); ++i) {
        candidate = folder / (base + "-" + std::to_string(i) + "." + ext);
    }
    return candidate;
}

}  // namespace genlab
