# qnn: compiler and runtime for hybrid quantum-classical neural networks.
# Sources are discovered by directory, so adding a module never means editing this file:
#   compiler/*.c + compiler/lexer.l + compiler/parser.y -> build/libqnnc.a (+ main.c -> qnnc)
#   runtime/*.c                                         -> build/libqnnrt.a
#   tests/unit/test_*.c                                 -> build/tests/test_* (cmocka)

# LLVM 19 only: its C API is what the code generator is written against. The versioned name
# comes first; a plain `llvm-config` (Debian 12 ships LLVM 14's) is accepted only if it says 19,
# which scripts/check-llvm.sh verifies before anything that includes llvm-c/ is compiled.
LLVM_MAJOR       := 19
LLVM_CONFIG_NAME ?= llvm-config-$(LLVM_MAJOR)
# Resolved once (:=), so that the check and the flags below see the same llvm-config.
ifeq ($(origin LLVM_CONFIG),undefined)
LLVM_CONFIG := $(or $(shell command -v $(LLVM_CONFIG_NAME) 2>/dev/null),$(shell command -v llvm-config 2>/dev/null),$(LLVM_CONFIG_NAME))
endif
CC      ?= cc
BUILD   ?= build
OPT     ?= -O2
SAN     ?=
VERSION := 0.1.0

LLVM_CFLAGS  := $(shell $(LLVM_CONFIG) --cflags 2>/dev/null | sed 's/-D_GNU_SOURCE//')
LLVM_LDFLAGS := $(shell $(LLVM_CONFIG) --ldflags 2>/dev/null) $(shell $(LLVM_CONFIG) --libs 2>/dev/null)

CAIRO_CFLAGS := $(shell pkg-config --cflags cairo 2>/dev/null || echo -I/usr/include/cairo)

# MPI (Open MPI's libopenmpi-dev) is optional: found, runtime/rt_dist.c is built against it and
# every program that links the runtime links libmpi too (`mpirun -np N qnnc run` splits the
# batches, docs/runtime.md); not found, rt_dist.c keeps one rank. NO_MPI=1 builds without it.
ifeq ($(NO_MPI),)
MPI_CFLAGS  := $(shell mpicc --showme:compile 2>/dev/null)
MPI_LDFLAGS := $(shell mpicc --showme:link 2>/dev/null)
endif

# glibc's libmvec (vector sin/cos for the per-lane encodings, compiler/cg.h): used where it
# links; generated code then calls it, so qnnc, the tests and native builds link -lmvec.
# NO_LIBMVEC=1 builds without it (per-lane libm calls).
ifeq ($(NO_LIBMVEC),)
MVEC_LIBS := $(shell printf 'int main(void){return 0;}\n' | $(CC) -x c - -lmvec -o /dev/null 2>/dev/null && echo -lmvec)
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CFLAGS   += -std=c11 $(OPT) -g $(WARN) $(SAN) -D_POSIX_C_SOURCE=200809L -DQNN_VERSION='"$(VERSION)"' \
            -Icompiler -Iruntime -I$(BUILD)/gen $(CAIRO_CFLAGS)
# Generated scanner/parser code is not ours to warn about.
# -MMD -MP: every object and test binary records the headers it includes (compiler objects
# include runtime headers such as rt_spec.h), so a changed header rebuilds exactly its users.
DEPFLAGS := -MMD -MP
GEN_CFLAGS := $(filter-out -Wshadow -Wstrict-prototypes,$(CFLAGS)) -Wno-unused-function \
              -Wno-sign-compare -Wno-unused-parameter -Wno-unused-but-set-variable
# What a program that links the runtime needs (the runtime-only tests, and with LLVM qnnc).
RT_LIBS  := -lpng -lz -lsndfile -lfftw3 -lcairo -llapacke -lpthread $(MVEC_LIBS) -lm $(MPI_LDFLAGS)
ifneq ($(MVEC_LIBS),)
CFLAGS   += -DQNN_HAVE_LIBMVEC
endif
LDLIBS   += $(LLVM_LDFLAGS) $(RT_LIBS) $(SAN)

COMPILER_SRC := $(filter-out compiler/main.c,$(wildcard compiler/*.c))
RUNTIME_SRC  := $(wildcard runtime/*.c)
TEST_SRC     := $(wildcard tests/unit/test_*.c)

COMPILER_OBJ := $(COMPILER_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/lexer.o $(BUILD)/gen/parser.o
RUNTIME_OBJ  := $(RUNTIME_SRC:%.c=$(BUILD)/%.o)
TEST_BIN     := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps test test-steps demo demo-steps llvm-check install uninstall asan valgrind fuzz bench bench-mpi clean check-examples
all: $(BUILD)/qnnc $(TEST_BIN)

# ---- dependencies (Debian) -------------------------------------------------------------
deps:
	@$(DEPS_SCRIPT)
DEPS_SCRIPT ?= scripts/deps.sh

# The README's two entry points install what is missing first and only then build, in a fresh
# make: every variable above (LLVM's flags above all) is resolved after the install, so the
# first run on a new machine cannot pick up an older LLVM. The *-steps targets are the rest.
demo: deps
	@$(MAKE) --no-print-directory demo-steps
test: deps
	@$(MAKE) --no-print-directory test-steps
DEMO_RUNNER ?= scripts/demo.sh
demo-steps: all
	$(DEMO_RUNNER)
TEST_RUNNER ?= QNNC=$(BUILD)/qnnc BUILD=$(BUILD) tests/run.sh
test-steps: all
	$(TEST_RUNNER)

# Before anything that includes llvm-c/: one line instead of a compile error on the wrong LLVM.
llvm-check:
	@scripts/check-llvm.sh "$(LLVM_CONFIG)" $(LLVM_MAJOR)

# ---- build -----------------------------------------------------------------------------
# Grouped targets (&:): one flex or bison run writes both files, also under -j.
$(BUILD)/gen/lexer.c $(BUILD)/gen/lexer.h &: compiler/lexer.l | $(BUILD)/gen
	flex --outfile=$(BUILD)/gen/lexer.c --header-file=$(BUILD)/gen/lexer.h $<

$(BUILD)/gen/parser.c $(BUILD)/gen/parser.h &: compiler/parser.y | $(BUILD)/gen
	bison -Wall -Werror --defines=$(BUILD)/gen/parser.h -o $(BUILD)/gen/parser.c $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c $(BUILD)/gen/parser.h $(BUILD)/gen/lexer.h
	$(CC) $(GEN_CFLAGS) -c $< -o $@

# The compiler's LLVM users (cg, jit, aot) need LLVM's headers; nothing else includes llvm-c.
$(BUILD)/compiler/%.o: compiler/%.c $(BUILD)/gen/parser.h $(BUILD)/gen/lexer.h | $(BUILD)/compiler llvm-check
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LLVM_CFLAGS) -c $< -o $@

# Position-independent, so that the same libqnnrt.a links into executables and into the shared
# libraries of `qnnc build --emit shared` (the Python bridge).
$(BUILD)/runtime/%.o: runtime/%.c | $(BUILD)/runtime
	$(CC) $(CFLAGS) $(DEPFLAGS) -fPIC -c $< -o $@

# Only rt_dist.c sees mpi.h; qnnc build links native programs with the same MPI libraries.
ifneq ($(MPI_LDFLAGS),)
$(BUILD)/runtime/rt_dist.o: CFLAGS += -DQNN_HAVE_MPI $(MPI_CFLAGS)
endif
$(BUILD)/compiler/cmd_build.o: CFLAGS += -DQNN_MPI_LIBS='"$(MPI_LDFLAGS)"' -DQNN_MVEC_LIBS='"$(MVEC_LIBS)"'
# A build folder made before Open MPI was installed (or after it was removed) rebuilds the two
# objects that depend on it: the stamp changes only when the MPI flags do.
$(BUILD)/runtime/rt_dist.o $(BUILD)/compiler/cmd_build.o: $(BUILD)/mpi.flags
# The same stamp holds MVEC_LIBS: the code generator and the JIT's symbol table follow it.
$(BUILD)/compiler/cg.o $(BUILD)/compiler/cg_emit.o $(BUILD)/compiler/jit.o: $(BUILD)/mpi.flags
$(BUILD)/mpi.flags: FORCE | $(BUILD)/runtime
	@echo '$(MPI_CFLAGS) | $(MPI_LDFLAGS) | $(MVEC_LIBS)' | cmp -s - $@ || echo '$(MPI_CFLAGS) | $(MPI_LDFLAGS) | $(MVEC_LIBS)' > $@
FORCE:

$(BUILD)/libqnnc.a: $(COMPILER_OBJ)
	ar rcs $@ $^
$(BUILD)/libqnnrt.a: $(RUNTIME_OBJ)
	ar rcs $@ $^

$(BUILD)/qnnc: $(BUILD)/compiler/main.o $(BUILD)/libqnnc.a $(BUILD)/libqnnrt.a
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Runtime-only tests (test_rt_*) do not need the compiler or LLVM.
$(BUILD)/tests/test_rt_%: tests/unit/test_rt_%.c $(BUILD)/libqnnrt.a tests/unit/testutil.h | $(BUILD)/tests
	$(CC) $(CFLAGS) $(DEPFLAGS) -Itests/unit $< $(BUILD)/libqnnrt.a $(RT_LIBS) $(SAN) -lcmocka -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libqnnc.a $(BUILD)/libqnnrt.a tests/unit/testutil.h | $(BUILD)/tests llvm-check
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LLVM_CFLAGS) -Itests/unit $< $(BUILD)/libqnnc.a $(BUILD)/libqnnrt.a $(LDLIBS) -lcmocka -o $@

$(BUILD)/gen $(BUILD)/compiler $(BUILD)/runtime $(BUILD)/tests:
	mkdir -p $@

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/gen/*.d)

# ---- tests -----------------------------------------------------------------------------

# fontconfig (through cairo's text) keeps its caches until exit: not our leak.
asan: export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/lsan.supp
asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" test

# Every unit-test binary under valgrind (errors and definite leaks fail). test_jit is left to
# `make asan`: valgrind runs JIT-generated AVX-512 code very slowly.
valgrind: all
	@fail=0; for t in $(filter-out %/test_jit,$(TEST_BIN)); do \
	  valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --suppressions=tests/valgrind.supp $$t >/dev/null 2>$$t.valgrind \
	    && echo "valgrind clean: $$t" || { echo "valgrind FAILED: $$t (see $$t.valgrind)"; fail=1; }; \
	done; exit $$fail

check-examples: $(BUILD)/qnnc
	@for f in stdlib/*.qnn examples/*.qnn; do $(BUILD)/qnnc check $$f || exit 1; done; echo "examples and stdlib check"

# Bounded libFuzzer run over the front end (clang with libFuzzer; crashes go to tests/fuzz/crashes).
FUZZ_SECONDS ?= 60
fuzz:
	tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS)


# The benchmark driver: -O3 and FMA for its peak loop.
$(BUILD)/bench: bench/bench.c $(BUILD)/libqnnc.a $(BUILD)/libqnnrt.a | llvm-check
	$(CC) -std=c11 -O3 -march=native -ffp-contract=fast $(WARN) -D_POSIX_C_SOURCE=200809L \
	    -Icompiler -Iruntime $(LLVM_CFLAGS) $< $(BUILD)/libqnnc.a $(BUILD)/libqnnrt.a $(LDLIBS) -o $@

bench: all $(BUILD)/bench
	BUILD=$(BUILD) scripts/bench.sh
	BUILD=$(BUILD) scripts/bench_mpi.sh

# Data-parallel scaling of the large example over 1, 2 and 4 MPI ranks (also the end of bench).
bench-mpi: all
	BUILD=$(BUILD) scripts/bench_mpi.sh

# ---- install (GNU conventions: PREFIX, DESTDIR; the layout qnnc looks for next to itself) ----
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
DOCDIR     ?= $(DATADIR)/doc/qnn
INSTALL    ?= install
# The Python package (python/qnn, pure Python): Debian's dist-packages of the system python3.
PYTHON3    ?= /usr/bin/python3
PYTHONDIR  ?= $(if $(filter /usr,$(PREFIX)),$(LIBDIR)/python3/dist-packages,$(LIBDIR)/python$(shell $(PYTHON3) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)/dist-packages)
# Vim's system-wide folder on Debian (in its default runtimepath); the other editors' files
# (TextMate grammar, VS Code extension, Sublime package) go to share/qnn/editors to copy from.
VIMDIR     ?= $(DATADIR)/vim/vimfiles
VIM_PARTS  := ftdetect ftplugin indent syntax
EDITOR_FILES := textmate/qnn.tmLanguage.json vscode/package.json vscode/language-configuration.json \
                vscode/syntaxes/qnn.tmLanguage.json sublime/qnn.tmLanguage sublime/Comments.tmPreferences
# What `make uninstall` removes, folder by folder (files only; the folders if left empty).
INSTALLED = $(BINDIR)/qnnc $(LIBDIR)/libqnnrt.a $(LIBDIR)/pkgconfig/qnn.pc $(MANDIR)/man1/qnnc.1 \
            $(addprefix $(DATADIR)/qnn/stdlib/,$(notdir $(wildcard stdlib/*.qnn))) \
            $(addprefix $(INCLUDEDIR)/qnn/,$(notdir $(wildcard runtime/*.h))) \
            $(foreach d,$(VIM_PARTS),$(VIMDIR)/$(d)/qnn.vim) \
            $(addprefix $(DATADIR)/qnn/editors/,$(EDITOR_FILES)) \
            $(addprefix $(DOCDIR)/,README.md $(notdir $(wildcard docs/*.md))) \
            $(addprefix $(PYTHONDIR)/qnn/,$(notdir $(wildcard python/qnn/*.py)))

# qnn.pc is written at install time: it must name the PREFIX of this install.
PC_SUBST = -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
           -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
           -e 's|@MPI_LIBS@|$(MPI_LDFLAGS)|'
install: $(BUILD)/qnnc $(BUILD)/libqnnrt.a
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/qnn \
	    $(DESTDIR)$(DATADIR)/qnn/stdlib $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 755 $(BUILD)/qnnc $(DESTDIR)$(BINDIR)/qnnc
	$(INSTALL) -m 644 $(BUILD)/libqnnrt.a $(DESTDIR)$(LIBDIR)/libqnnrt.a
	sed $(PC_SUBST) packaging/qnn.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/qnn.pc
	$(INSTALL) -m 644 runtime/*.h $(DESTDIR)$(INCLUDEDIR)/qnn/
	$(INSTALL) -m 644 stdlib/*.qnn $(DESTDIR)$(DATADIR)/qnn/stdlib/
	$(INSTALL) -m 644 docs/qnnc.1 $(DESTDIR)$(MANDIR)/man1/qnnc.1
	$(INSTALL) -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	for d in $(VIM_PARTS); do $(INSTALL) -d $(DESTDIR)$(VIMDIR)/$$d && \
	  $(INSTALL) -m 644 editors/vim/$$d/qnn.vim $(DESTDIR)$(VIMDIR)/$$d/qnn.vim || exit 1; done
	for f in $(EDITOR_FILES); do $(INSTALL) -D -m 644 editors/$$f $(DESTDIR)$(DATADIR)/qnn/editors/$$f || exit 1; done
	$(INSTALL) -d $(DESTDIR)$(PYTHONDIR)/qnn
	$(INSTALL) -m 644 python/qnn/*.py $(DESTDIR)$(PYTHONDIR)/qnn/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(addprefix $(DESTDIR),$(INCLUDEDIR)/qnn $(DATADIR)/qnn/stdlib \
	    $(addprefix $(DATADIR)/qnn/editors/,vscode/syntaxes vscode sublime textmate) \
	    $(DATADIR)/qnn/editors $(DATADIR)/qnn $(DOCDIR) $(PYTHONDIR)/qnn) 2>/dev/null || true

clean:
	rm -rf build build-asan build-fuzz
