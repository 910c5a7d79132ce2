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

TEST(Files, AConfigFolderThatIsAFileIsAnError) {
    TempDir d;
    std::ofstream(d.path / "genlab") << "not a folder";
    setenv("XDG_CONFIG_HOME", d.path.c_str(), 1);
    std::string e;
    try {
        config_dir();
    } catch (const UserError& err) {
        e = err.what();
    }
    unsetenv("XDG_CONFIG_HOME");
    EXPECT_NE(e.find((d.path / "genlab").string() + "' is not a folder"), std::string::npos) << e;
}

TEST(Files, WithoutHomeTheConfigFolderIsTheUsersHomeNeverTmp) {
    const char* saved_home = std::getenv("HOME");
    const std::string home = saved_home ? saved_home : "";
    // XDG points at a relative path: ignored, as the XDG spec says.
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);
    unsetenv("HOME");
    std::string got, error;
    try {
        got = config_dir().string();
    } catch (const UserError& e) {
        error = e.what();
    }
    if (saved_home) setenv("HOME", home.c_str(), 1);
    unsetenv("XDG_CONFIG_HOME");
    if (error.empty()) {
        EXPECT_EQ(got.rfind(fs::temp_directory_path().string(), 0), std::string::npos) << got;
        EXPECT_NE(got.find("/.config/genlab"), std::string::npos) << got;
    } else {  // a user with no home directory: an error that names the fix
        EXPECT_NE(error.find("set HOME or XDG_CONFIG_HOME"), std::string::npos) << error;
    }
}

//-----------------------------------------------------------------------------
// Special files (issue 20): never replaced, never read without bound, named in errors.
//-----------------------------------------------------------------------------

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

bool mentions(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST(SpecialFiles, ReadsNameWhatThePathIs) {
    TempDir d;
    fs::create_directory(d.path / "dir");
    ASSERT_EQ(::mkfifo((d.path / "fifo").c_str(), 0600), 0);
    fs::create_symlink(d.path / "loop_b", d.path / "loop_a");
    fs::create_symlink(d.path / "loop_a", d.path / "loop_b");
    EXPECT_TRUE(
        mentions(error_of([&] { read_file_bounded(d.path / "dir", 100); }), "is a directory"));
    // A FIFO would block a plain open(2) forever: refused before any open.
    EXPECT_TRUE(mentions(error_of([&] { read_file_bounded(d.path / "fifo", 100); }),
                         "not a regular file (a FIFO)"));
    EXPECT_TRUE(
        mentions(error_of([&] { read_file_bounded(d.path / "loop_a", 100); }), "symlink loop"));
    EXPECT_TRUE(mentions(error_of([] { read_file_bounded("/dev/zero", 100); }),
                         "not a regular file (a character device)"));
    EXPECT_TRUE(mentions(error_of([] { read_file_bounded("/proc/self/status", 1 << 20); }),
                         "/proc or /sys file"));
    EXPECT_TRUE(
        mentions(error_of([&] { read_file_bounded(d.path / "nope", 100); }), "no such file"));
    EXPECT_TRUE(mentions(error_of([] { read_file_bounded("", 100); }), "empty"));
}

TEST(SpecialFiles, AtomicWritesReplaceOnlyRegularFiles) {
    TempDir d;
    fs::create_directory(d.path / "dir");
    ASSERT_EQ(::mkfifo((d.path / "fifo").c_str(), 0600), 0);
    EXPECT_TRUE(
        mentions(error_of([&] { write_file_atomic(d.path / "dir", "x"); }), "it is a directory"));
    EXPECT_TRUE(
        mentions(error_of([&] { write_file_atomic(d.path / "fifo", "x"); }), "it is a FIFO"));
    EXPECT_TRUE(fs::is_fifo(d.path / "fifo"));  // still the FIFO, not a regular file
    EXPECT_TRUE(fs::is_directory(d.path / "dir"));
    EXPECT_TRUE(mentions(error_of([] { write_file_atomic("", "x"); }), "empty"));
    EXPECT_TRUE(mentions(error_of([] { write_file_exclusive("", "x"); }), "empty"));
    EXPECT_EQ(entries(d.path), 2u);  // no temp file left beside them
}

TEST(SpecialFiles, OutputsStreamToDevicesAndFifos) {
    TempDir d;
    write_output("/dev/null", "report");  // streamed: /dev/null stays a device
    struct stat st {};
    ASSERT_EQ(::stat("/dev/null", &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    // A FIFO with a reader gets the bytes; without one, an error instead of a hang.
    const fs::path fifo = d.path / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_TRUE(mentions(error_of([&] { write_output(fifo, "x"); }), "no reader"));
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader, 0);
    write_output(fifo, "hello");
    char buf[16] = {0};
    EXPECT_EQ(::read(reader, buf, sizeof buf), 5);
    EXPECT_EQ(std::string(buf), "hello");
    ::close(reader);
    EXPECT_TRUE(fs::is_fifo(fifo));
    // A regular path is still written atomically.
    write_output(d.path / "r.json", "{}");
    EXPECT_EQ(slurp(d.path / "r.json"), "{}");
    EXPECT_TRUE(mentions(error_of([&] { write_output(d.path, "x"); }), "it is a directory"));
}
