#include "files.hpp"

#include <fcntl.h>
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

// Writes bytes to a fresh temp file beside `target` and fsyncs it; returns its path.
fs::path write_temp_beside(const fs::path& target, const std::string& bytes) {
    const fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::random_device rd;
    const fs::path temp =
        folder / ("." + target.filename().string() + ".tmp-" + std::to_string(rd()));
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw UserError(os_error("cannot write in folder", folder));
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string message = os_error("cannot write", target);
            ::close(fd);
            ::unlink(temp.c_str());
            throw UserError(message);
        }
        done += static_cast<size_t>(n);
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

std::string read_file_bounded(const fs::path& path, size_t max_bytes) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        throw UserError("cannot read '" + path.string() + "': no such file");
    }
    const auto size = fs::file_size(path, ec);
    if (ec) throw UserError("cannot read '" + path.string() + "': " + ec.message());
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

void write_file_exclusive(const fs::path& path, const std::string& bytes) {
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
    } else {
        base = fs::temp_directory_path();
    }
    const fs::path dir = base / "genlab";
    std::error_code ec;
    fs::create_directories(dir, ec);
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
