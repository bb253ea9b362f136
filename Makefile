# Gatehouse: one binary (build/gatehouse) over a library core
# (build/libgatehouse.a) that the unit tests and fuzzers link too.
#
#   make          build build/gatehouse
#   make run      install what is missing, build, serve on the embedded database
#   make test     install what is missing, build, run every suite
#   make asan     the whole suite under AddressSanitizer + UBSan
#   make lint     clang-format check and banned-function scan
#   make bench    the benchmarks of bench/ (see bench/README.md)
#   make browser  the admin panel's browser tests (tests/browser/, chromium)
#   make cluster  three nodes behind nginx under load, stopped and killed (tests/cluster/)
#   make fuzz     the libFuzzer targets of fuzz/ (FUZZ_SECONDS each, ASan+UBSan)

BUILD   ?= build
CC      ?= cc
PKGS     = libmicrohttpd libpq libsodium jansson libcurl hiredis gnutls nettle
CFLAGS  ?= -O2 -g
# `override` so that `make CFLAGS=...` (make asan) adds to these, not replaces.
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
           -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing \
           -Isrc -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
           -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmicrohttpd -lpq -lsodium -ljansson -lcurl -lhiredis -lgnutls -lnettle) \
           -lpthread -ldl -lm

SRCS     = $(shell find src -name '*.c' ! -name main.c | sort)
OBJS     = $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/sql_embed.o $(BUILD)/gen/web_embed.o $(BUILD)/gen/docs_embed.o
SQL      = sql/roles.sql $(sort $(wildcard sql/context/*.sql)) $(sort $(wildcard sql/migrations/*.sql))
WEB      = $(sort $(wildcard web/*))
# The API reference (/docs): the OpenAPI document, our page, and the
# renderer's two files from node_modules (npm swagger-ui-dist) when
# installed; without them the binary serves a page saying so.
DOCS_RENDERER = $(wildcard node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css)
DOCS     = docs/openapi.yaml $(sort $(wildcard docs/reference/*)) $(DOCS_RENDERER)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60

.PHONY: all run test deps asan lint unit db e2e browser bench clean pgext-install fuzz fuzz-targets cluster FORCE

all: $(BUILD)/gatehouse

$(BUILD)/gatehouse: $(BUILD)/src/main.o $(BUILD)/libgatehouse.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(BUILD)/libgatehouse.a: $(OBJS)
	ar rcs $@ $^

$(BUILD)/%.o: %.c $(BUILD)/gen/sql_embed.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# SQL files are compiled into the binary, so `gatehouse migrate` needs
# nothing from the source tree at run time.
$(BUILD)/gen/sql_embed.c $(BUILD)/gen/sql_embed.h &: scripts/embed-sql.sh $(SQL)
	@mkdir -p $(BUILD)/gen
	scripts/embed-sql.sh $(BUILD)/gen $(SQL)

$(BUILD)/gen/sql_embed.o: $(BUILD)/gen/sql_embed.c
	$(CC) $(CFLAGS) -c -o $@ $<

# The admin panel (web/) likewise: served by src/http/static.c.
$(BUILD)/gen/web_embed.c $(BUILD)/gen/web_embed.h &: scripts/embed-files.sh $(WEB)
	@mkdir -p $(BUILD)/gen
	scripts/embed-files.sh web $(BUILD)/gen $(WEB)

$(BUILD)/gen/web_embed.o: $(BUILD)/gen/web_embed.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/src/http/static.o: $(BUILD)/gen/web_embed.h

# The API reference likewise: served by src/http/apidocs.c. The list of
# files is a prerequisite of its own, rewritten only when it changes: npm
# gives its files old dates, so a renderer installed after a first build
# would otherwise not be newer than the generated file.
$(BUILD)/gen/docs_embed.list: FORCE
	@mkdir -p $(BUILD)/gen
	@echo '$(DOCS)' | cmp -s - $@ || echo '$(DOCS)' > $@

$(BUILD)/gen/docs_embed.c $(BUILD)/gen/docs_embed.h &: scripts/embed-files.sh $(DOCS) $(BUILD)/gen/docs_embed.list
	@mkdir -p $(BUILD)/gen
	scripts/embed-files.sh docs $(BUILD)/gen $(DOCS)

$(BUILD)/gen/docs_embed.o: $(BUILD)/gen/docs_embed.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/src/http/apidocs.o: $(BUILD)/gen/docs_embed.h

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libgatehouse.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libgatehouse.a $(LDFLAGS) $(LDLIBS) -lcmocka

# Fuzz targets: built only in build-fuzz/ (make fuzz), where the library is
# compiled with -fsanitize=fuzzer-no-link and libFuzzer supplies main().
$(BUILD)/fuzz/%: fuzz/%.c $(BUILD)/libgatehouse.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libgatehouse.a $(LDFLAGS) $(LDLIBS)

fuzz-targets: $(FUZZ_BIN)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

deps:
	@scripts/deps.sh

# The row-level-security context extension is installed into the local
# PostgreSQL server (needs root, or sudo) when its build differs.
pgext-install: deps
	@scripts/pgext-install.sh

run: deps pgext-install all
	$(BUILD)/gatehouse serve

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

db: all pgext-install
	tests/db/run.sh

e2e: all
	GATEHOUSE_BIN=$(abspath $(BUILD)/gatehouse) node --test --test-concurrency=1 tests/e2e/

browser: all
	GATEHOUSE_BIN=$(abspath $(BUILD)/gatehouse) node --test --test-concurrency=1 tests/browser/

# Three nodes behind nginx under load, with SIGTERM/SIGKILL (tests/cluster/).
cluster: all
	GATEHOUSE_BIN=$(abspath $(BUILD)/gatehouse) node --test --test-concurrency=1 tests/cluster/

test: deps pgext-install
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) db
	$(MAKE) e2e
	$(MAKE) browser
	$(MAKE) cluster
	$(MAKE) fuzz FUZZ_SECONDS=10
	$(MAKE) lint

asan:
	$(MAKE) BUILD=build-asan CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all unit e2e

fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" fuzz-targets
	fuzz/run.sh build-fuzz/fuzz $(FUZZ_SECONDS)

lint:
	@scripts/lint.sh

bench: all
	bench/run.sh

clean:
	rm -rf build build-asan build-fuzz
