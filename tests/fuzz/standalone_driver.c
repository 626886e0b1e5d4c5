/* standalone_driver.c — runs fuzz inputs through LLVMFuzzerTestOneInput without libFuzzer,
 * so any compiler can replay a corpus (ctest does). Arguments are files, or directories whose
 * files are all run. Exit status 0 when every input ran (a failing input aborts). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read a whole file; NULL on failure. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long size;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)size + 1); /* +1: a zero-length input still gets a pointer */
        if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)size;
    }
    fclose(f);
    return buf;
}

static int run_file(const char *path)
{
    size_t len = 0;
    uint8_t *data = slurp(path, &len);
    if (data == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 0;
    }
    /* An exact-size copy, so that sanitizers see any read past the input. */
    uint8_t *exact = malloc(len > 0 ? len : 1);
    if (exact == NULL) {
        free(data);
        return 0;
    }
    memcpy(exact, data, len);
    (void)LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    free(data);
    return 1;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Run every regular file in a directory; returns how many ran, -1 if it cannot be read. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    long n = 0;
    if (d == NULL) return -1;
    while ((ent = readdir(d)) != NULL) {
        char path[4096];
        if (ent->d_name[0] == '.') continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, ent->d_name) >= (int)sizeof path) continue;
        if (is_dir(path)) continue;
        if (!run_file(path)) {
            closedir(d);
            return -1;
        }
        n++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    long total = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        long n = is_dir(argv[i]) ? run_dir(argv[i]) : run_file(argv[i]);
        if (n < 0 || (n == 0 && is_dir(argv[i]))) {
            fprintf(stderr, "no input run from %s\n", argv[i]);
            return 1;
        }
        total += n;
    }
    printf("%ld inputs ran\n", total);
    return 0;
}
