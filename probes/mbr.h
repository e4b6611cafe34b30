/*
 * mbr.h - sector 0 of a BIOS disk judged from its raw bytes: what its 440
 * bytes of boot code are, and, when its 0x55AA signature is gone (no
 * library reads the table then), whether its four entries still describe
 * this disk. Pure functions over a buffer (fuzzed in tests/fuzz); the
 * layout is in disk_layout.h.
 */
#ifndef WINRESCUE_MBR_H
#define WINRESCUE_MBR_H

#include "probes/inventory.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * The boot code of sector s (MBR_SECTOR bytes). Known loaders are named;
 * all zeros is none; bytes with no BIOS disk read (INT 13h, which every
 * boot code that loads anything calls) are not code; anything else is
 * unknown code, never called broken.
 */
enum mbr_code mbr_classify(const uint8_t *s);
/* Whether code starts something (a loader, or code winrescue does not know). */
bool mbr_code_boots(enum mbr_code c);
/* "Windows' boot code (Vista and later)": for messages. */
const char *mbr_code_words(enum mbr_code c);

/*
 * The four entries of s, and whether they describe a disk of disk_sectors
 * logical sectors: status 0 or 0x80, at least one in use, each used one
 * inside the disk and none overlapping another. Used when the signature is
 * gone and nothing else reads the table.
 */
bool mbr_entries_fit(const uint8_t *s, uint64_t disk_sectors, struct mbr_entry e[4]);

/* Read and judge sector 0 of d through fd (dos disks, and disks without a table). */
void mbr_probe(struct disk *d, int fd);

#endif
