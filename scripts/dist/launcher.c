/*
 * The front of the single bookshelf executable.
 *
 * A PyInstaller one-folder build (interpreter, bookshelf and every library) is appended to this
 * program as one zlib stream. On the first start of a given build it is unpacked into
 * $XDG_CACHE_HOME/bookshelf/<version>-<hash>/ (or ~/.cache/bookshelf/...): written into a
 * temporary folder beside it, synced, then renamed into place, so a folder under its final name is
 * always complete. Every later start only checks that folder and execs the program in it, which
 * keeps start-up close to a source install even on an SD card (PyInstaller's own one-file mode
 * unpacks ~150 MB into a new temporary folder on every start).
 *
 * The program is exec'd with argv[0] set to this file's absolute path, so the running bookshelf
 * knows which file a service unit should start.
 *
 * File layout: [this program][payload: zlib stream][trailer, TRAILER_SIZE bytes].
 * Payload entries: type ('d' folder, 'f' file, 'l' symlink, 'e' end), mode (u32 LE),
 * path length (u16 LE), path, data length (u64 LE), data (file bytes or link target).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define MAGIC "BKSHSFX1"
#define TRAILER_SIZE 64
#define ID_SIZE 40
#define CHUNK 65536

typedef struct {
    int fd;
    uint64_t remaining;
    z_stream zs;
    unsigned char in[CHUNK];
} reader;

static void die(const char *what, const char *detail) {
    fprintf(stderr, "bookshelf: %s%s%s%s%s\n", what, detail ? " " : "", detail ? detail : "", errno ? ": " : "",
            errno ? strerror(errno) : "");
    exit(70);
}

static uint64_t le(const unsigned char *bytes, int count) {
    uint64_t value = 0;
    for (int i = count - 1; i >= 0; i--) value = (value << 8) | bytes[i];
    return value;
}

/* Fill buf with exactly n bytes of the unpacked stream. */
static void take(reader *r, void *buf, size_t n) {
    r->zs.next_out = buf;
    r->zs.avail_out = (uInt)n;
    while (r->zs.avail_out > 0) {
        if (r->zs.avail_in == 0 && r->remaining > 0) {
            size_t want = r->remaining < CHUNK ? (size_t)r->remaining : CHUNK;
            ssize_t got = read(r->fd, r->in, want);
            if (got <= 0) die("cannot read the bundled program", NULL);
            r->remaining -= (uint64_t)got;
            r->zs.next_in = r->in;
            r->zs.avail_in = (uInt)got;
        }
        int status = inflate(&r->zs, Z_NO_FLUSH);
        if (status == Z_STREAM_END && r->zs.avail_out > 0) break;
        if (status != Z_OK && status != Z_STREAM_END) break;
    }
    if (r->zs.avail_out > 0) {
        errno = 0;
        die("the bundled program is damaged; download the file again", NULL);
    }
}

/* A path from the payload stays inside the folder it is unpacked into. */
static int safe_path(const char *path) {
    if (path[0] == '/' || path[0] == '\0') return 0;
    for (const char *part = path; part; part = strchr(part, '/') ? strchr(part, '/') + 1 : NULL) {
        if (strncmp(part, "..", 2) == 0 && (part[2] == '/' || part[2] == '\0')) return 0;
    }
    return 1;
}

static void unpack(reader *r, const char *root) {
    static unsigned char data[CHUNK];
    char path[PATH_MAX], full[PATH_MAX];
    unsigned char head[7], size[8];
    for (;;) {
        take(r, head, 1);
        if (head[0] == 'e') return;
        take(r, head + 1, 6);
        mode_t mode = (mode_t)le(head + 1, 4) & 07777;
        size_t path_len = (size_t)le(head + 5, 2);
        if (path_len >= sizeof path) die("a bundled path is too long", NULL);
        take(r, path, path_len);
        path[path_len] = '\0';
        take(r, size, 8);
        uint64_t length = le(size, 8);
        errno = 0;
        if (!safe_path(path)) die("the bundle holds an unsafe path:", path);
        if (snprintf(full, sizeof full, "%s/%s", root, path) >= (int)sizeof full) die("path too long:", path);
        if (head[0] == 'd') {
            if (mkdir(full, mode | 0700) != 0 && errno != EEXIST) die("cannot create", full);
        } else if (head[0] == 'l') {
            char target[PATH_MAX];
            if (length >= sizeof target) die("a bundled link is too long:", path);
            take(r, target, (size_t)length);
            target[length] = '\0';
            if (symlink(target, full) != 0) die("cannot create", full);
        } else if (head[0] == 'f') {
            int out = open(full, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode | 0600);
            if (out < 0) die("cannot create", full);
            while (length > 0) {
                size_t part = length < CHUNK ? (size_t)length : CHUNK;
                take(r, data, part);
                for (size_t done = 0; done < part;) {
                    ssize_t wrote = write(out, data + done, part - done);
                    if (wrote < 0) die("cannot write", full);
                    done += (size_t)wrote;
                }
                length -= part;
            }
            if (close(out) != 0) die("cannot write", full);
        } else {
            die("the bundled program is damaged; download the file again", NULL);
        }
    }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* mkdir -p with mode 0700 for the folders it creates. */
static int make_folders(char *path) {
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int failed = mkdir(path, 0700) != 0 && errno != EEXIST;
        *slash = '/';
        if (failed) return -1;
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static int writable_folder(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && access(path, W_OK | X_OK) == 0;
}

/* $XDG_CACHE_HOME/bookshelf, ~/.cache/bookshelf, or a private folder in /var/tmp. */
static void cache_folder(char *out, size_t size) {
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    struct passwd *user = NULL;
    if (xdg && xdg[0] == '/') {
        snprintf(out, size, "%s/bookshelf", xdg);
    } else if ((home && home[0] == '/') || ((user = getpwuid(getuid())) && user->pw_dir[0] == '/')) {
        snprintf(out, size, "%s/.cache/bookshelf", home && home[0] == '/' ? home : user->pw_dir);
    } else {
        out[0] = '\0';
    }
    if (out[0] && make_folders(out) == 0 && writable_folder(out)) return;
    /* No usable home (a service user without one): a folder only this user owns. */
    struct stat st;
    snprintf(out, size, "/var/tmp/bookshelf-%u", (unsigned)getuid());
    errno = 0;
    if (mkdir(out, 0700) != 0 && errno != EEXIST) die("cannot create a cache folder", out);
    if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) {
        errno = 0;
        die("the cache folder is not a private folder of this user:", out);
    }
}

int main(int argc, char **argv) {
    (void)argc;
    char self[PATH_MAX], base[PATH_MAX], target[PATH_MAX], program[PATH_MAX], scratch[PATH_MAX];
    ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (self_len <= 0) die("cannot find this executable (is /proc mounted?)", NULL);
    self[self_len] = '\0';

    int fd = open(self, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die("cannot open", self);
    struct stat st;
    unsigned char trailer[TRAILER_SIZE];
    if (fstat(fd, &st) != 0 || st.st_size < TRAILER_SIZE ||
        pread(fd, trailer, TRAILER_SIZE, st.st_size - TRAILER_SIZE) != TRAILER_SIZE ||
        memcmp(trailer, MAGIC, 8) != 0) {
        errno = 0;
        die("this file holds no bundled program; download it again", NULL);
    }
    uint64_t offset = le(trailer + 8, 8), length = le(trailer + 16, 8);
    char id[ID_SIZE + 1];
    memcpy(id, trailer + 24, ID_SIZE);
    id[ID_SIZE] = '\0';
    errno = 0;
    if (!safe_path(id) || strchr(id, '/') || offset + length + TRAILER_SIZE != (uint64_t)st.st_size)
        die("this file is damaged; download it again", NULL);

    cache_folder(base, sizeof base);
    if (snprintf(target, sizeof target, "%s/%s", base, id) >= (int)sizeof target ||
        snprintf(program, sizeof program, "%s/bookshelf", target) >= (int)sizeof program ||
        snprintf(scratch, sizeof scratch, "%s/.%s.unpacking-%ld", base, id, (long)getpid()) >= (int)sizeof scratch)
        die("the cache folder's path is too long:", base);
    if (access(program, X_OK) != 0) {
        if (mkdir(scratch, 0700) != 0) die("cannot create", scratch);
        reader *r = calloc(1, sizeof *r);
        if (!r || inflateInit(&r->zs) != Z_OK) die("out of memory", NULL);
        r->fd = fd;
        r->remaining = length;
        if (lseek(fd, (off_t)offset, SEEK_SET) < 0) die("cannot read", self);
        unpack(r, scratch);
        inflateEnd(&r->zs);
        free(r);
        /* Data on disk before the name: a power cut never leaves a half-written folder in place. */
        int dir = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            syncfs(dir);
            close(dir);
        }
        if (rename(scratch, target) != 0) {
            if (errno != EEXIST && errno != ENOTEMPTY) die("cannot move the unpacked program to", target);
            /* Another start unpacked the same build first: use that one. */
            nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        }
    }
    close(fd);
    argv[0] = self;
    execv(program, argv);
    die("cannot start", program);
    return 70;
}
