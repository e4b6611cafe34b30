# winrescue - see README.md.  `make demo` runs it, `make check` tests it.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
PKGS      := ncursesw blkid fdisk mount libntfs-3g json-c hivex libseccomp libcrypto
TEST_PKGS := cmocka

# Debian packages that provide the pkg-config modules and the programs the
# tests, the demo and the benchmark drive.
DEB_PKGS := build-essential pkg-config libncurses-dev libblkid-dev libfdisk-dev \
	libmount-dev ntfs-3g ntfs-3g-dev libjson-c-dev libcmocka-dev libhivex-dev \
	util-linux fdisk mount dosfstools mtools xz-utils jq tmux nbdkit libnbd-bin \
	fuse3 time patchelf binutils ncurses-bin qemu-system-x86 e2fsprogs cpio bc groff-base \
	syslinux-common grub-pc-bin libhivex-bin libwin-hivex-perl libseccomp-dev libssl-dev perl \
	python3

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# -ldl: dlsym() (probes/ntfs.c), in libc itself only since glibc 2.34
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -DWINRESCUE_VERSION='"$(VERSION)"' \
	-I. $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS  ?=
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS)

CORE_SRC := $(wildcard lib/*.c probes/*.c actions/*.c tui/*.c cli/output_*.c)
CLI_SRC  := $(filter-out cli/output_%.c,$(wildcard cli/*.c))
CORE_OBJ := $(CORE_SRC:%.c=build/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=build/%.o)
HDRS     := $(wildcard lib/*.h probes/*.h actions/*.h tui/*.h cli/*.h)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
SAN_BIN  := $(UNIT_SRC:tests/unit/%.c=build/san/tests/%)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_OBJ  := $(CORE_SRC:%.c=build/san/%.o)
TOOLS    := build/tests/ntfs-state build/tests/ntfs-damage build/tests/ntfs-windows build/tests/hive-edit build/san/winrescue build/san/fuzz-ntfs
ARCH     := $(shell uname -m)
BUNDLE   := winrescue-$(VERSION)-$(ARCH).tar.gz

# `make V=1` shows the full compiler command lines
Q := $(if $(V),,@)

.PHONY: fuzz all check demo deps ensure-deps install uninstall clean unit integration bench bundle vm-check

all: winrescue

winrescue: $(CORE_OBJ) $(CLI_OBJ)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

# The bundle's winrescue finds its libraries in lib/ beside it. DT_RPATH
# (not RUNPATH) so that their own dependencies (libmount -> libselinux) are
# found there too.
build/bundle/winrescue: $(CORE_OBJ) $(CLI_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDFLAGS) -Wl,--disable-new-dtags \
		-Wl,-rpath,'$$ORIGIN/lib' $(PKG_LIBS)

# A drop-in tarball for a rescue image without our libraries (README).
bundle: $(BUNDLE)

$(BUNDLE): build/bundle/winrescue man/winrescue.8 dist/bundle.sh
	@echo "  BUNDLE  $@"
	$(Q)dist/bundle.sh build/bundle/winrescue $(VERSION) $@

build/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -c -o $@ $<

build/tests/test_%: tests/unit/test_%.c $(CORE_OBJ) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(CORE_OBJ) $(ALL_LDFLAGS) $(PKG_LIBS) $(TEST_LIBS)

build/san/tests/test_%: tests/unit/test_%.c $(SAN_OBJ) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 $(TEST_CFLAGS) -o $@ $< $(SAN_OBJ) $(ALL_LDFLAGS) $(PKG_LIBS) $(TEST_LIBS)

# the parsers' fuzz target: a mutation driver under ASan/UBSan (make check),
# or libFuzzer with clang (make fuzz; FUZZ_TIME seconds)
build/san/fuzz-ntfs: tests/fuzz/fuzz_ntfs.c $(SAN_OBJ) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -o $@ $< $(SAN_OBJ) $(ALL_LDFLAGS) $(PKG_LIBS)

FUZZ_TIME ?= 60
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	@mkdir -p build/fuzz
	clang -std=gnu11 -D_GNU_SOURCE -DWR_LIBFUZZER -I. $(PKG_CFLAGS) -g -O1 \
		-fsanitize=fuzzer,address,undefined -o build/fuzz/fuzz-ntfs tests/fuzz/fuzz_ntfs.c \
		probes/ntfs_boot.c probes/ntfs_check.c probes/bcd.c probes/winreg.c probes/mbr.c \
		lib/util.c $(PKG_LIBS)
	tests/fuzz/corpus.sh build/fuzz/corpus
	build/fuzz/fuzz-ntfs -max_total_time=$(FUZZ_TIME) -max_len=65536 build/fuzz/corpus

build/tests/ntfs-damage: tests/tools/ntfs-damage.c $(CORE_OBJ) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_OBJ) $(ALL_LDFLAGS) $(PKG_LIBS)

# winrescue itself under ASan/UBSan: the checker is run on damaged images with it
build/san/winrescue: $(SAN_OBJ) $(CLI_SRC:%.c=build/san/%.o)
	@echo "  LINK    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -O1 -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

build/tests/hive-edit: tests/tools/hive-edit.c
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(PKG_LIBS)

build/tests/ntfs-state: tests/tools/ntfs-state.c
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(PKG_LIBS)

build/tests/ntfs-windows: tests/tools/ntfs-windows.c
	@mkdir -p $(dir $@)
	@echo "  TOOL    $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(ALL_LDFLAGS) $(PKG_LIBS)

# Install the build and test dependencies with apt-get (Debian/Ubuntu).
deps:
	@tests/deps.sh install $(DEB_PKGS)

# Runs `deps` only when pkg-config or a required program is missing.
ensure-deps:
	@tests/deps.sh ensure $(DEB_PKGS)

unit: $(UNIT_BIN) $(SAN_BIN)
	@tests/run-unit.sh $(UNIT_BIN) $(SAN_BIN)

# The one command that proves the tree works (README, .ci/run).
check:
	@$(MAKE) --no-print-directory ensure-deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(SAN_BIN) $(TOOLS) $(BUNDLE)
	@WR_BUNDLE=$(BUNDLE) tests/run.sh

# The rescue VM suite alone (make check runs it too): QEMU, a Debian 6.12
# kernel, the bundle installed in the VM's root, the Windows disks beside it.
vm-check:
	@$(MAKE) --no-print-directory ensure-deps
	@$(MAKE) --no-print-directory all $(TOOLS) $(BUNDLE)
	@WR_BUNDLE=$(BUNDLE) tests/vm/vm-check.sh

demo:
	@$(MAKE) --no-print-directory ensure-deps
	@$(MAKE) --no-print-directory all $(TOOLS)
	@tests/demo.sh

bench:
	@$(MAKE) --no-print-directory ensure-deps
	@$(MAKE) --no-print-directory all $(TOOLS) $(BUNDLE)
	@bench/list
	@bench/check
	@bench/tui-bytes
	@WR_BUNDLE=$(BUNDLE) bench/vm

install: winrescue
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 winrescue $(DESTDIR)$(PREFIX)/sbin/winrescue
	install -m 0644 man/winrescue.8 $(DESTDIR)$(PREFIX)/share/man/man8/winrescue.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/winrescue $(DESTDIR)$(PREFIX)/share/man/man8/winrescue.8

clean:
	rm -rf build winrescue winrescue-*.tar.gz
