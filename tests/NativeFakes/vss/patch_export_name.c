/*
 * Build helper for the vssapi fake: replaces every occurrence of a placeholder symbol name in a
 * finished shared library with the real export name. Both names must have the same length (so no
 * offset moves) and the same GNU hash (so the .gnu.hash lookup table stays valid); the placeholder in
 * fake_vssapi.c was chosen that way for the decorated CreateVssBackupComponents name.
 *
 * usage: patch_export_name <library> <placeholder> <name>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t gnu_hash(const char *s)
{
    uint32_t h = 5381;
    for (; *s != 0; s++) {
        h = h * 33 + (unsigned char)*s;
    }
    return h;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s <library> <placeholder> <name>\n", argv[0]);
        return 2;
    }
    const char *placeholder = argv[2];
    const char *name = argv[3];
    size_t n = strlen(placeholder);
    if (strlen(name) != n || gnu_hash(placeholder) != gnu_hash(name)) {
        fprintf(stderr, "patch_export_name: placeholder and name differ in length or GNU hash\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)size);
    if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "patch_export_name: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    int replaced = 0;
    for (long i = 0; i + (long)n <= size; i++) {
        if (memcmp(data + i, placeholder, n) == 0) {
            memcpy(data + i, name, n);
            replaced++;
        }
    }
    if (replaced == 0) {
        fprintf(stderr, "patch_export_name: placeholder not found in %s\n", argv[1]);
        return 1;
    }
    f = fopen(argv[1], "wb");
    if (f == NULL || fwrite(data, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "patch_export_name: cannot write %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    free(data);
    return 0;
}
