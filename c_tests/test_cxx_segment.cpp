// rshm::segment: create, create_init with a callable (int, void or
// throwing), open with a timeout, RAII release, errors with their errno.
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "check_cxx.h"

using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible_v<rshm::segment> && !std::is_copy_assignable_v<rshm::segment>);
static_assert(std::is_nothrow_move_constructible_v<rshm::segment> &&
              std::is_nothrow_move_assignable_v<rshm::segment>);

// Entries in /dev/shm made by this process: its test names and rshm's
// temporary names ("rshm-tmp.PID.…").
static int leftovers() {
    std::string mine = "rshm-test-" + std::to_string(getpid()) + "-";
    std::string tmp = "rshm-tmp." + std::to_string(getpid()) + ".";
    DIR *d = opendir("/dev/shm");
    int n = 0;
    while (dirent *e = d ? readdir(d) : nullptr)
        if (std::strncmp(e->d_name, mine.c_str(), mine.size()) == 0 ||
            std::strncmp(e->d_name, tmp.c_str(), tmp.size()) == 0)
            n++;
    if (d)
        closedir(d);
    return n;
}

struct header {
    std::uint64_t magic;
    char text[24];
};

static void create_open_and_release() {
    char name[96];
    check_name(name, sizeof name, "cxx-seg");
    const int fds = check_open_fds();
    void *data = nullptr;
    std::size_t size = 0;
    {
        rshm::segment w = rshm::segment::create(name, 1000);
        CHECK(w && w.size() == 1000 && w.get() != nullptr);
        data = w.data();
        size = w.size();
        CHECK(reinterpret_cast<std::uintptr_t>(data) % rshm::page_size() == 0);
        w.as<header>()->magic = 42;
        std::strcpy(w.as<header>()->text, "from C++");

        rshm::segment r = rshm::segment::open(name, RSHM_O_RDONLY);
        CHECK(r.size() == 1000 && r.as<header>()->magic == 42 && std::strcmp(r.as<header>()->text, "from C++") == 0);
        char perms[5];
        CHECK(check_map_perms(r.data(), perms) == 0 && std::strcmp(perms, "r--s") == 0);
        rshm::segment rw = rshm::segment::open(name, RSHM_O_RDWR, 1s);
        rw.as<header>()->text[0] = 'F';
        CHECK(r.as<header>()->text[0] == 'F');
        CHECK(check_open_fds() > fds);

        struct too_big {
            unsigned char bytes[4096];
        };
        bool refused = false;
        try {
            (void)r.as<too_big>();
        } catch (const std::length_error &) {
            refused = true;
        }
        CHECK(refused);
        check_throws([&] { rshm::segment::create(name, 10); }, "segment_create", EEXIST);

        // Moves hand the handle over; the moved-from one owns nothing.
        rshm::segment moved = std::move(rw);
        CHECK(!rw && rw.data() == nullptr && rw.size() == 0 && moved.size() == 1000);
        rw.close();  // nothing owned: nothing to do
        void *moved_data = moved.data();
        moved = rshm::segment();  // the old handle is closed
        CHECK(unmapped(moved_data, 1000));
        r.close();
        CHECK(!r);
    }
    // Destructors unmapped the data and closed the descriptors.
    CHECK(unmapped(data, size));
    CHECK(check_open_fds() == fds);
    rshm::segment::unlink(name);
    check_throws([&] { rshm::segment::unlink(name); }, "segment_unlink", ENOENT);
}

static void create_init_callables() {
    char name[96];
    check_name(name, sizeof name, "cxx-init");
    // An int-returning lambda: 0 is success.
    int calls = 0;
    std::size_t seen = 0;
    {
        rshm::segment w = rshm::segment::create_init(name, 3 * rshm::page_size() + 5, 0600,
                                                     [&](void *data, std::size_t size) {
                                                         calls++;
                                                         seen = size;
                                                         std::memset(data, 0x5a, size);
                                                         return 0;
                                                     });
        CHECK(calls == 1 && seen == 3 * rshm::page_size() + 5 && w.size() == seen);
        rshm::segment r = rshm::segment::open(name, RSHM_O_RDONLY);
        CHECK(r.as<unsigned char>()[0] == 0x5a && r.as<unsigned char>()[seen - 1] == 0x5a);
    }
    rshm::segment::unlink(name);

    // A void callable held as an lvalue: runs, no result needed.
    check_name(name, sizeof name, "cxx-init-void");
    auto fill = [](void *data, std::size_t) { std::strcpy(static_cast<char *>(data), "void init"); };
    {
        rshm::segment w = rshm::segment::create_init(name, 64, 0600, fill);
        CHECK(std::strcmp(w.as<char>(), "void init") == 0);
    }
    rshm::segment::unlink(name);

    // Non-zero: ECANCELED, nothing left behind.
    check_name(name, sizeof name, "cxx-init-fails");
    check_throws([&] { rshm::segment::create_init(name, 64, 0600, [](void *, std::size_t) { return 7; }); },
                 "segment_create_init", ECANCELED);
    CHECK(leftovers() == 0);
    // A throwing init: the exception comes back as thrown, nothing left behind.
    bool caught = false;
    try {
        rshm::segment::create_init(name, 64, 0600, [](void *, std::size_t) -> int {
            throw std::runtime_error("init throws");
        });
    } catch (const std::runtime_error &e) {
        caught = std::strcmp(e.what(), "init throws") == 0;
    }
    CHECK(caught);
    CHECK(leftovers() == 0);
    check_throws([&] { rshm::segment::open(name, RSHM_O_RDONLY); }, "segment_open", ENOENT);
}

// The opener starts first and waits; it always reads what init wrote.
static void waiting_opener() {
    char name[96];
    check_name(name, sizeof name, "cxx-wait");
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        try {
            rshm::segment r = rshm::segment::open(name, RSHM_O_RDONLY, 10s);
            _exit(r.size() == 100 && std::strcmp(r.as<char>(), "ready") == 0 ? 0 : 1);
        } catch (const rshm::error &e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            _exit(2);
        }
    }
    usleep(50 * 1000);  // let the child start waiting (it passes either way)
    rshm::segment w = rshm::segment::create_init(name, 100, 0600, [](void *data, std::size_t) {
        std::strcpy(static_cast<char *>(data), "ready");
        return 0;
    });
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    rshm::segment::unlink(name);
}

static void errors() {
    char name[96];
    check_name(name, sizeof name, "cxx-seg-never");
    check_throws([&] { rshm::segment::open(name, RSHM_O_RDONLY, 20ms); }, "segment_open", ETIMEDOUT);
    check_throws([&] { rshm::segment::open(name, RSHM_O_RDONLY); }, "segment_open", ENOENT);
    check_throws([&] { rshm::segment::open(name, RSHM_O_RDONLY, -1ms); }, "segment_open", EINVAL);
    check_throws([&] { rshm::segment::open(name, RSHM_O_WRONLY); }, "segment_open", EINVAL);
    check_throws([&] { rshm::segment::open(std::string("/rshm-test\0nul", 14), RSHM_O_RDONLY); }, "segment_open",
                 EINVAL);
    check_throws([&] { rshm::segment::create(name, 0); }, "segment_create", EINVAL);
    check_throws([&] { rshm::segment::create("/a/b", 10); }, "segment_create", EINVAL);
    check_throws([&] { rshm::segment::create(name, std::size_t{1} << 50); }, "segment_create", ENOSPC);
    check_throws([&] { rshm::segment::create(std::string("/x\0y", 4), 10); }, "segment_create", EINVAL);
    check_throws([&] { rshm::segment::unlink(name); }, "segment_unlink", ENOENT);
    CHECK(leftovers() == 0);

    // A plain object is not a segment.
    rshm::fd plain = rshm::shm_open(name, RSHM_O_CREAT | RSHM_O_EXCL | RSHM_O_RDWR, 0600);
    rshm::ftruncate(plain, 4096);
    check_throws([&] { rshm::segment::open(name, RSHM_O_RDONLY); }, "segment_open", EINVAL);
    try {
        rshm::segment::open(name, RSHM_O_RDONLY);
    } catch (const rshm::error &e) {
        // The exception says what the library found, not only the errno.
        CHECK(std::strstr(e.error_detail(), "rshm_segment_open(\"") == e.error_detail());
        CHECK(std::strstr(e.error_detail(), "has no rshm header") != nullptr);
        CHECK(std::strstr(e.what(), e.error_detail()) != nullptr);
    }
    check_throws([&] { rshm::segment::create(name, 10); }, "segment_create", EEXIST);
    CHECK(rshm::fstat(plain).size == 4096);
    rshm::shm_unlink(name);

    rshm::segment none;
    bool refused = false;
    try {
        (void)none.as<char>();
    } catch (const std::length_error &) {
        refused = true;
    }
    CHECK(refused && none.data() == nullptr && none.size() == 0);
}

int main() {
    create_open_and_release();
    create_init_callables();
    waiting_opener();
    errors();
    return check_done("cxx-segment");
}
