// Atomic and exclusive writes, bounded reads, and auto-named export paths.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "errors.hpp"
#include "files.hpp"

using namespace genlab;

namespace {

struct TempDir {
    TempDir() {
        char templ[] = "/tmp/genlab-test-XXXXXX";
        path = mkdtemp(templ);
    }
    ~TempDir() { fs::remove_all(path); }
    fs::path path;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t entries(const fs::path& dir) {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir), {}));
}

// Sets or clears the immutable flag (chattr +i), which stops even root from creating files
// in a folder; false where the filesystem or the capabilities do not allow it.
bool set_immutable(const fs::path& dir, bool on) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return false;
    int flags = 0;
    bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    ok = ok && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    ::close(fd);
    return ok;
}

// Makes `dir` read-only for this process: mode bits, or as root the immutable flag.
bool make_read_only(const fs::path& dir) {
    if (geteuid() != 0) return chmod(dir.c_str(), 0555) == 0;
    return set_immutable(dir, true);
}

}  // namespace

TEST(Files, AtomicWriteReplacesAndLeavesNoTempFiles) {
    TempDir d;
    write_file_atomic(d.path / "s.json", "one");
    write_file_atomic(d.path / "s.json", "two");
    EXPECT_EQ(slurp(d.path / "s.json"), "two");
    EXPECT_EQ(entries(d.path), 1u);
}

TEST(Files, AtomicWriteThroughASymlinkKeepsTheLink) {
    TempDir d;
    write_file_atomic(d.path / "real.json", "old");
    fs::create_symlink("real.json", d.path / "link.json");
    write_file_atomic(d.path / "link.json", "new");
    EXPECT_TRUE(fs::is_symlink(d.path / "link.json"));
    EXPECT_EQ(slurp(d.path / "real.json"), "new");
}

TEST(Files, ExclusiveWriteNeverOverwrites) {
    TempDir d;
    write_file_exclusive(d.path / "a.png", "first");
    EXPECT_THROW(write_file_exclusive(d.path / "a.png", "second"), UserError);
    EXPECT_EQ(slurp(d.path / "a.png"), "first");
    EXPECT_EQ(entries(d.path), 1u);  // no stray temp file
}

TEST(Files, WritesIntoMissingOrReadOnlyFoldersFailCleanly) {
    TempDir d;
    EXPECT_THROW(write_file_exclusive(d.path / "missing" / "a.png", "x"), UserError);
    fs::create_directory(d.path / "ro");
    if (!make_read_only(d.path / "ro")) GTEST_SKIP() << "cannot make a read-only folder here";
    EXPECT_THROW(write_file_exclusive(d.path / "ro" / "a.png", "x"), UserError);
    EXPECT_THROW(write_file_atomic(d.path / "ro" / "s.json", "x"), UserError);
    EXPECT_EQ(entries(d.path / "ro"), 0u);
    if (geteuid() == 0) set_immutable(d.path / "ro", false);  // or it cannot be removed
}

TEST(Files, BoundedReadRefusesLargeAndMissingFiles) {
    TempDir d;
    write_file_atomic(d.path / "big", std::string(2000, 'x'));
    EXPECT_EQ(read_file_bounded(d.path / "big", 4000).size(), 2000u);
    EXPECT_THROW(read_file_bounded(d.path / "big", 1000), UserError);
    EXPECT_THROW(read_file_bounded(d.path / "nope", 1000), UserError);
}

TEST(Files, UniqueExportPathsNeverCollide) {
    TempDir d;
    const fs::path a = unique_export_path(d.path, "genlab-rf", "png");
    EXPECT_EQ(a.extension(), ".png");
    EXPECT_EQ(a.filename().string().rfind("genlab-rf-", 0), 0u);
    EXPECT_EQ(a.filename().string().size(), std::string("genlab-rf-20260101-120000.png").size());
    write_file_exclusive(a, "x");
    const fs::path b = unique_export_path(d.path, "genlab-rf", "png");
    EXPECT_NE(a, b);
}

TEST(Files, ConfigDirFollowsXdg) {
    TempDir d;
    setenv("XDG_CONFIG_HOME", d.path.c_str(), 1);
    EXPECT_EQ(config_dir(), d.path / "genlab");
    EXPECT_TRUE(fs::is_directory(d.path / "genlab"));
    unsetenv("XDG_CONFIG_HOME");
}
