# Top-level driver: installs missing Debian packages, configures out of tree
# in build/ (generated files stay out of the source tree) and forwards.
#   make run      build, then run the daemon in the foreground on 127.0.0.1:11211
#   make check    build, then run every test (unit, integration), the store's stress test
#                 under TSAN, every test again under ASAN+UBSan, and the libFuzzer targets
#   make install  prefix=/usr/local DESTDIR= (prefix=/usr installs the defaults file in /etc)
BUILD ?= build
TSAN_BUILD ?= build-tsan
ASAN_BUILD ?= build-asan
prefix ?= /usr/local
# The unit reads /etc/default/slabcached: a system install (prefix=/usr) puts it there.
sysconfdir ?= $(if $(filter /usr,$(prefix)),/etc,$(prefix)/etc)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RUN_FLAGS ?= -l 127.0.0.1 -p 11211
FUZZ_SECONDS ?= 30

.PHONY: all deps run check check-unit check-tsan check-asan install uninstall clean distclean format

all: $(BUILD)/Makefile
	$(MAKE) -C $(BUILD) -j$(JOBS)

deps:
	@./scripts/install-deps

configure: configure.ac Makefile.am | deps
	autoreconf -fi

$(BUILD)/Makefile: configure
	mkdir -p $(BUILD)
	cd $(BUILD) && ../configure --prefix=$(prefix) $(CONFIGURE_FLAGS)

run: all
	exec $(BUILD)/slabcached $(RUN_FLAGS) $(if $(filter 0,$(shell id -u)),-u nobody,)

check: all
	$(MAKE) -C $(BUILD) -j$(JOBS) check || { ./scripts/test-summary $(BUILD); exit 1; }
	$(MAKE) check-tsan
	$(MAKE) check-asan
	./scripts/fuzz $(FUZZ_SECONDS)
	./scripts/test-summary $(BUILD) $(TSAN_BUILD) $(ASAN_BUILD)

# The store's concurrency tests under ThreadSanitizer.
check-tsan: configure
	mkdir -p $(TSAN_BUILD)
	test -f $(TSAN_BUILD)/Makefile || (cd $(TSAN_BUILD) && ../configure --enable-tsan CXXFLAGS="-g -O1")
	$(MAKE) -C $(TSAN_BUILD) -j$(JOBS) check TESTS="tests/unit/slabs_test" \
		|| { ./scripts/test-summary $(TSAN_BUILD); exit 1; }

# Every test under AddressSanitizer + UndefinedBehaviorSanitizer.
check-asan: configure
	mkdir -p $(ASAN_BUILD)
	test -f $(ASAN_BUILD)/Makefile || (cd $(ASAN_BUILD) && ../configure --enable-asan CXXFLAGS="-g -O1")
	$(MAKE) -C $(ASAN_BUILD) -j$(JOBS) check || { ./scripts/test-summary $(ASAN_BUILD); exit 1; }

install: all
	$(MAKE) -C $(BUILD) install prefix=$(prefix) sysconfdir=$(sysconfdir) DESTDIR=$(DESTDIR)

uninstall: $(BUILD)/Makefile
	$(MAKE) -C $(BUILD) uninstall prefix=$(prefix) sysconfdir=$(sysconfdir) DESTDIR=$(DESTDIR)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(TSAN_BUILD) $(ASAN_BUILD)

distclean: clean
	rm -rf configure build_config.h.in build_config.h.in~ aclocal.m4 autom4te.cache build-aux Makefile.in \
		m4/ax_*.m4 m4/libtool.m4 m4/lt*.m4
