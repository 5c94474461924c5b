/*
 * kvmguest: the in-guest side of the KVM (remote screen, keyboard and
 * mouse) tests.
 *
 * Draws on the std VGA's linear framebuffer after setting a Bochs VBE
 * mode through the dispi I/O ports (no DRM driver in the guest), burns
 * CPU for the viewer benchmark, and prints the guest's input events as
 * evdev reports them.  Every result is a "KVMGUEST ..." line on stdout;
 * the exit status is 0 only on success.
 *
 *   kvmguest mode W H              32 bpp mode W x H, draw the test pattern
 *   kvmguest box X Y W H RRGGBB    fill a rectangle of the current mode
 *   kvmguest animate SECONDS       redraw the whole screen, count frames
 *   kvmguest scroll LINES          a terminal: LINES lines of text-like
 *                                  cells, each scrolling the screen up
 *   kvmguest work SECONDS          integer work only, count iterations
 *   kvmguest input SECONDS         print key, abs and rel events
 *
 * input prints "KVMGUEST device eventN NAME" for each device it opens
 * (and "absrange MAXX MAXY" after an absolute one), "KVMGUEST input
 * ready" once all are open, then one line per event and "KVMGUEST input
 * end" when SECONDS are over.
 *
 * The test pattern is mirrored by tests/redir/kvm_screen.py, which
 * computes the picture a screendump must show: change both together.
 *
 * Built static on the host (gcc -static) and placed into the initramfs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/input.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Bochs VBE "dispi" interface of QEMU's std VGA */
#define VBE_PORT_INDEX          0x1ce
#define VBE_PORT_DATA           0x1cf
#define VBE_ID                  0
#define VBE_XRES                1
#define VBE_YRES                2
#define VBE_BPP                 3
#define VBE_ENABLE              4
#define VBE_BANK                5
#define VBE_VIRT_WIDTH          6
#define VBE_VIRT_HEIGHT         7
#define VBE_X_OFFSET            8
#define VBE_Y_OFFSET            9
#define VBE_ID_MIN              0xb0c0
#define VBE_ENABLED             0x01
#define VBE_LFB_ENABLED         0x40

#define VGA_VENDOR              "0x1234"
#define VGA_DEVICE              "0x1111"
#define VGA_CLASS               "0x030000"

#define MAX_INPUT_DEVICES       32
#define WORK_BATCH              65536

struct fb {
    uint8_t *base;
    size_t map_len;
    int width, height;
    size_t stride;              /* bytes per line */
};

static int fail(const char *what, int err)
{
    printf("KVMGUEST error %s: %s\n", what, err ? strerror(err) : "failed");
    return 1;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* a whole, non-negative number in BASE (10 or 16) below 2^31, or -1 */
static long parse_num(const char *s, int base)
{
    long v = 0;

    if (!*s) {
        return -1;
    }
    for (; *s; s++) {
        int d;

        if (*s >= '0' && *s <= '9') {
            d = *s - '0';
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = *s - 'a' + 10;
        } else if (base == 16 && *s >= 'A' && *s <= 'F') {
            d = *s - 'A' + 10;
        } else {
            return -1;
        }
        v = v * base + d;
        if (v > 0x7fffffff) {
            return -1;
        }
    }
    return v;
}

/* ---- the dispi registers ------------------------------------------------ */

static int vbe_open(void)
{
    /*
     * Both registers are 16 bits wide: a word access to the data port
     * 0x1cf also covers 0x1d0, which the I/O bitmap must allow too.
     */
    if (ioperm(VBE_PORT_INDEX, 3, 1) < 0) {
        return -errno;
    }
    return 0;
}

static uint16_t vbe_read(uint16_t reg)
{
    outw(reg, VBE_PORT_INDEX);
    return inw(VBE_PORT_DATA);
}

static void vbe_write(uint16_t reg, uint16_t val)
{
    outw(reg, VBE_PORT_INDEX);
    outw(val, VBE_PORT_DATA);
}

/* ---- the framebuffer ---------------------------------------------------- */

static int sysfs_is(const char *dir, const char *file, const char *want)
{
    char path[512], buf[32];
    FILE *f;
    int ok = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    f = fopen(path, "r");
    if (f) {
        ok = fgets(buf, sizeof(buf), f) && !strncmp(buf, want, strlen(want));
        fclose(f);
    }
    return ok;
}

/*
 * Map the std VGA's BAR0 (its VRAM, where the LFB starts) for the mode in
 * the dispi registers.  The write-combining file is preferred where the
 * kernel offers it (BAR0 is prefetchable): a full-screen redraw through
 * an uncached mapping would measure the mapping, not the display path.
 */
static int fb_map(struct fb *fb)
{
    char dir[300], path[340];
    struct dirent *de;
    struct stat st;
    DIR *d;
    int fd = -1;

    d = opendir("/sys/bus/pci/devices");
    if (!d) {
        return -errno;
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') {
            continue;
        }
        snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", de->d_name);
        if (sysfs_is(dir, "class", VGA_CLASS) &&
            sysfs_is(dir, "vendor", VGA_VENDOR) &&
            sysfs_is(dir, "device", VGA_DEVICE)) {
            break;
        }
    }
    closedir(d);
    if (!de) {
        return -ENODEV;
    }
    snprintf(path, sizeof(path), "%s/resource0_wc", dir);
    fd = open(path, O_RDWR);
    if (fd < 0) {
        snprintf(path, sizeof(path), "%s/resource0", dir);
        fd = open(path, O_RDWR);
    }
    if (fd < 0 || fstat(fd, &st) < 0) {
        int err = errno;

        if (fd >= 0) {
            close(fd);
        }
        return -err;
    }

    fb->width = vbe_read(VBE_XRES);
    fb->height = vbe_read(VBE_YRES);
    /* the line length follows the virtual width the device settled on */
    fb->stride = (size_t)vbe_read(VBE_VIRT_WIDTH) * 4;
    fb->map_len = fb->stride * fb->height;
    if (fb->width == 0 || fb->height == 0 ||
        fb->map_len > (size_t)st.st_size) {
        close(fd);
        return -ENOSPC;
    }
    fb->base = mmap(NULL, fb->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
                    fd, 0);
    close(fd);
    if (fb->base == MAP_FAILED) {
        return -errno;
    }
    return 0;
}

/* the mode must be ours: enabled, 32 bpp, LFB */
static int fb_current(struct fb *fb)
{
    int rc = vbe_open();
    uint16_t enable;

    if (rc < 0) {
        return rc;
    }
    enable = vbe_read(VBE_ENABLE);
    if (!(enable & VBE_ENABLED) || !(enable & VBE_LFB_ENABLED) ||
        vbe_read(VBE_BPP) != 32) {
        return -EINVAL;
    }
    return fb_map(fb);
}

static inline uint32_t *fb_line(const struct fb *fb, int y)
{
    return (uint32_t *)(fb->base + y * fb->stride);
}

/* ---- the test pattern ---------------------------------------------------- */

static const uint32_t palette[8] = {
    0x202020, 0xc00000, 0x00a000, 0x0000c0,
    0xc0c000, 0x00c0c0, 0xc000c0, 0xe0e0e0,
};

/*
 * The pixel (x, y) of the W x H test pattern as 0xRRGGBB: single-pixel
 * white lines (the frame, a cross through the first thirds), above the
 * middle gradients with an x^y texture (no two 64x64 tiles alike) and a
 * black diagonal, below it flat 96x72 blocks whose edges do not fall on
 * 64-pixel tile boundaries, so flat, partly flat and varied tiles exist.
 */
static uint32_t pattern_pixel(int x, int y, int w, int h)
{
    uint32_t r, g, b;

    if (x == 0 || y == 0 || x == w - 1 || y == h - 1 ||
        x == w / 3 || y == h / 3) {
        return 0xffffff;
    }
    if (y < h / 2) {
        if (x == y) {
            return 0x000000;
        }
        r = x * 255 / (w - 1);
        g = y * 255 / (h / 2 - 1);
        b = (x ^ y) & 0xff;
        return r << 16 | g << 8 | b;
    }
    return palette[(x / 96 + 3 * ((y - h / 2) / 72)) % 8];
}

static void draw_pattern(const struct fb *fb)
{
    int x, y;

    for (y = 0; y < fb->height; y++) {
        uint32_t *line = fb_line(fb, y);

        for (x = 0; x < fb->width; x++) {
            line[x] = pattern_pixel(x, y, fb->width, fb->height);
        }
    }
}

/* ---- sub-commands -------------------------------------------------------- */

static int cmd_mode(const char *ws, const char *hs)
{
    long w = parse_num(ws, 10), h = parse_num(hs, 10);
    struct fb fb;
    uint16_t id;
    int rc;

    if (w < 16 || h < 16 || w > 4096 || h > 4096 || w % 8) {
        return fail("mode: width 16..4096 (a multiple of 8), height 16..4096",
                    EINVAL);
    }
    rc = vbe_open();
    if (rc < 0) {
        return fail("ioperm 0x1ce-0x1d0", -rc);
    }
    id = vbe_read(VBE_ID);
    if (id < VBE_ID_MIN) {
        printf("KVMGUEST error no Bochs VBE (id 0x%04x)\n", id);
        return 1;
    }
    /* the registers take effect on enable; change them only while off */
    vbe_write(VBE_ENABLE, 0);
    vbe_write(VBE_XRES, w);
    vbe_write(VBE_YRES, h);
    vbe_write(VBE_BPP, 32);
    vbe_write(VBE_BANK, 0);
    vbe_write(VBE_VIRT_WIDTH, w);
    vbe_write(VBE_VIRT_HEIGHT, h);
    vbe_write(VBE_X_OFFSET, 0);
    vbe_write(VBE_Y_OFFSET, 0);
    vbe_write(VBE_ENABLE, VBE_ENABLED | VBE_LFB_ENABLED);
    if (vbe_read(VBE_XRES) != w || vbe_read(VBE_YRES) != h ||
        vbe_read(VBE_BPP) != 32) {
        printf("KVMGUEST error mode %ldx%ld refused (got %ux%ux%u)\n", w, h,
               vbe_read(VBE_XRES), vbe_read(VBE_YRES), vbe_read(VBE_BPP));
        return 1;
    }
    rc = fb_map(&fb);
    if (rc < 0) {
        return fail("framebuffer", -rc);
    }
    draw_pattern(&fb);
    /* drain write-combining buffers before saying the picture is there */
    __sync_synchronize();
    printf("KVMGUEST mode %dx%d\n", fb.width, fb.height);
    return 0;
}

static int cmd_box(char **argv)
{
    long x = parse_num(argv[0], 10), y = parse_num(argv[1], 10);
    long w = parse_num(argv[2], 10), h = parse_num(argv[3], 10);
    long rgb = parse_num(argv[4], 16);
    struct fb fb;
    long i, j;
    int rc;

    if (x < 0 || y < 0 || w < 0 || h < 0 || rgb < 0 || strlen(argv[4]) != 6) {
        return fail("box: X Y W H RRGGBB", EINVAL);
    }
    rc = fb_current(&fb);
    if (rc < 0) {
        return fail("box: no 32 bpp mode set (kvmguest mode first)", -rc);
    }
    /* clip to the screen */
    if (x + w > fb.width) {
        w = x < fb.width ? fb.width - x : 0;
    }
    if (y + h > fb.height) {
        h = y < fb.height ? fb.height - y : 0;
    }
    for (j = y; j < y + h; j++) {
        uint32_t *line = fb_line(&fb, j);

        for (i = x; i < x + w; i++) {
            line[i] = rgb;
        }
    }
    __sync_synchronize();
    printf("KVMGUEST box done\n");
    return 0;
}

static int cmd_animate(const char *secs)
{
    long s = parse_num(secs, 10);
    struct fb fb;
    double end;
    unsigned long frames = 0;
    int rc, x, y;

    if (s < 0) {
        return fail("animate: SECONDS", EINVAL);
    }
    rc = fb_current(&fb);
    if (rc < 0) {
        return fail("animate: no 32 bpp mode set (kvmguest mode first)", -rc);
    }
    end = now_s() + s;
    do {
        /* every pixel changes from one frame to the next */
        uint32_t n = frames;

        for (y = 0; y < fb.height; y++) {
            uint32_t *line = fb_line(&fb, y);
            uint32_t gb = ((y + 2 * n) & 0xff) << 8;

            for (x = 0; x < fb.width; x++) {
                line[x] = ((x + 4 * n) & 0xff) << 16 | gb |
                          (((x ^ y) + n) & 0xff);
            }
        }
        frames++;
    } while (now_s() < end);
    printf("KVMGUEST frames %lu\n", frames);
    return 0;
}

static int cmd_work(const char *secs)
{
    long s = parse_num(secs, 10);
    /* the result is stored, so the loop cannot be optimized away */
    volatile uint32_t sink;
    uint64_t iterations = 0;
    uint32_t h = 0x12345678;
    double end;
    int i;

    if (s < 0) {
        return fail("work: SECONDS", EINVAL);
    }
    end = now_s() + s;
    do {
        /* a multiply-xorshift chain the compiler cannot fold away */
        for (i = 0; i < WORK_BATCH; i++) {
            h = h * 1103515245u + 12345u;
            h ^= h >> 13;
        }
        iterations += WORK_BATCH;
    } while (now_s() < end);
    sink = h;
    (void)sink;
    printf("KVMGUEST work %llu\n", (unsigned long long)iterations);
    return 0;
}

/* ---- input --------------------------------------------------------------- */

struct input_dev {
    int fd;
    int x, y;
    int abs_changed;
    int dx, dy;
};

static int test_bit(const unsigned long *bits, int bit)
{
    return (bits[bit / (8 * sizeof(long))] >> (bit % (8 * sizeof(long)))) & 1;
}

/*
 * /dev/input/eventN, made from /sys/class/input/eventN/dev when no
 * devtmpfs provides it
 */
static int open_event(const char *name)
{
    char path[300];
    unsigned int maj, min;
    FILE *f;
    int fd;

    snprintf(path, sizeof(path), "/dev/input/%s", name);
    fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd >= 0 || errno != ENOENT) {
        return fd;
    }
    snprintf(path, sizeof(path), "/sys/class/input/%s/dev", name);
    f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    if (fscanf(f, "%u:%u", &maj, &min) != 2) {
        fclose(f);
        errno = EINVAL;
        return -1;
    }
    fclose(f);
    mkdir("/dev/input", 0755);
    snprintf(path, sizeof(path), "/dev/input/%s", name);
    if (mknod(path, S_IFCHR | 0600, makedev(maj, min)) < 0 &&
        errno != EEXIST) {
        return -1;
    }
    return open(path, O_RDONLY | O_NONBLOCK);
}

static void handle_event(struct input_dev *dev, const struct input_event *ev)
{
    switch (ev->type) {
    case EV_KEY:
        printf("KVMGUEST key %u %d\n", ev->code, ev->value);
        break;
    case EV_ABS:
        if (ev->code == ABS_X) {
            dev->x = ev->value;
            dev->abs_changed = 1;
        } else if (ev->code == ABS_Y) {
            dev->y = ev->value;
            dev->abs_changed = 1;
        }
        break;
    case EV_REL:
        if (ev->code == REL_X) {
            dev->dx += ev->value;
        } else if (ev->code == REL_Y) {
            dev->dy += ev->value;
        }
        break;
    case EV_SYN:
        /* one line per report, as a viewer's single move arrives */
        if (ev->code != SYN_REPORT) {
            break;
        }
        if (dev->abs_changed) {
            printf("KVMGUEST abs %d %d\n", dev->x, dev->y);
            dev->abs_changed = 0;
        }
        if (dev->dx || dev->dy) {
            printf("KVMGUEST rel %d %d\n", dev->dx, dev->dy);
            dev->dx = dev->dy = 0;
        }
        break;
    }
}

static int cmd_input(const char *secs)
{
    long s = parse_num(secs, 10);
    struct input_dev devs[MAX_INPUT_DEVICES];
    struct pollfd pfd[MAX_INPUT_DEVICES];
    struct dirent *de;
    double end;
    DIR *d;
    int n = 0, i;

    if (s < 0) {
        return fail("input: SECONDS", EINVAL);
    }
    d = opendir("/sys/class/input");
    if (!d) {
        return fail("/sys/class/input", errno);
    }
    while ((de = readdir(d)) && n < MAX_INPUT_DEVICES) {
        unsigned long absbits[(ABS_MAX + 1) / (8 * sizeof(long)) + 1] = { 0 };
        struct input_absinfo ax, ay;
        char name[128] = "";
        int fd;

        if (strncmp(de->d_name, "event", 5)) {
            continue;
        }
        fd = open_event(de->d_name);
        if (fd < 0) {
            printf("KVMGUEST error open %s: %s\n", de->d_name,
                   strerror(errno));
            continue;
        }
        ioctl(fd, EVIOCGNAME(sizeof(name) - 1), name);
        printf("KVMGUEST device %s %s\n", de->d_name, name);
        memset(&devs[n], 0, sizeof(devs[n]));
        devs[n].fd = fd;
        if (ioctl(fd, EVIOCGBIT(EV_ABS, sizeof(absbits)), absbits) >= 0 &&
            test_bit(absbits, ABS_X) && test_bit(absbits, ABS_Y) &&
            ioctl(fd, EVIOCGABS(ABS_X), &ax) >= 0 &&
            ioctl(fd, EVIOCGABS(ABS_Y), &ay) >= 0) {
            printf("KVMGUEST absrange %d %d\n", ax.maximum, ay.maximum);
            devs[n].x = ax.value;
            devs[n].y = ay.value;
        }
        pfd[n].fd = fd;
        pfd[n].events = POLLIN;
        n++;
    }
    closedir(d);
    if (n == 0) {
        return fail("input: no /dev/input/event* devices", ENODEV);
    }
    printf("KVMGUEST input ready\n");

    end = now_s() + s;
    for (;;) {
        double left = end - now_s();

        if (left <= 0) {
            break;
        }
        if (poll(pfd, n, left * 1000 + 1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail("poll", errno);
        }
        for (i = 0; i < n; i++) {
            struct input_event ev[64];
            ssize_t len;
            size_t k;

            if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
                /* unplugged: stop polling it */
                pfd[i].fd = -1;
                continue;
            }
            if (!(pfd[i].revents & POLLIN)) {
                continue;
            }
            while ((len = read(pfd[i].fd, ev, sizeof(ev))) > 0) {
                for (k = 0; k < len / sizeof(ev[0]); k++) {
                    handle_event(&devs[i], &ev[k]);
                }
            }
        }
    }
    printf("KVMGUEST input end\n");
    return 0;
}

/*
 * A terminal as fbcon draws one: black, 8x16 cells of grey "glyphs";
 * each new line at the bottom scrolls everything up by a row of cells,
 * 50 lines a second
 */
static int cmd_scroll(const char *count)
{
    long lines = parse_num(count, 10);
    struct fb fb;
    int rc, y;

    if (lines < 0) {
        return fail("scroll: LINES", EINVAL);
    }
    rc = fb_current(&fb);
    if (rc < 0) {
        return fail("scroll: no 32 bpp mode set (kvmguest mode first)", -rc);
    }
    for (y = 0; y < fb.height; y++) {
        memset(fb_line(&fb, y), 0, fb.width * 4);
    }
    for (long n = 0; n < lines; n++) {
        int rows = fb.height - fb.height % 16;
        int cells = 20 + (n * 37) % 60;

        for (y = 0; y + 16 < rows; y++) {
            memcpy(fb_line(&fb, y), fb_line(&fb, y + 16), fb.width * 4);
        }
        for (y = rows - 16; y < rows; y++) {
            uint32_t *line = fb_line(&fb, y);

            memset(line, 0, fb.width * 4);
            for (int c = 0; c < cells && c * 8 + 8 <= fb.width; c++) {
                /* a glyph's strokes: a few pixels of each cell row */
                unsigned bits = ((c * 131 + n * 17 + y * 7) * 2654435761u) >>
                                24;

                for (int b = 1; b < 7; b++) {
                    if (bits & (1u << b) && y % 16 > 2 && y % 16 < 13) {
                        line[c * 8 + b] = 0xaaaaaa;
                    }
                }
            }
        }
        usleep(20000);
    }
    printf("KVMGUEST scrolled %ld\n", lines);
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";

    /* the serial console reads these as they happen */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(cmd, "mode") && argc == 4) {
        return cmd_mode(argv[2], argv[3]);
    } else if (!strcmp(cmd, "box") && argc == 7) {
        return cmd_box(argv + 2);
    } else if (!strcmp(cmd, "animate") && argc == 3) {
        return cmd_animate(argv[2]);
    } else if (!strcmp(cmd, "scroll") && argc == 3) {
        return cmd_scroll(argv[2]);
    } else if (!strcmp(cmd, "work") && argc == 3) {
        return cmd_work(argv[2]);
    } else if (!strcmp(cmd, "input") && argc == 3) {
        return cmd_input(argv[2]);
    }
    fprintf(stderr, "usage: kvmguest mode W H | box X Y W H RRGGBB |"
            " animate SECONDS | scroll LINES | work SECONDS |"
            " input SECONDS\n");
    return 2;
}
