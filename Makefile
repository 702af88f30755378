# parallel_dblink: PGXS build. The control file is the one source of the version.
EXTENSION  = parallel_dblink
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

# sql/functions/*.sql are concatenated, sorted, into the install script;
# sql/bind_dblink.sql comes last (it re-creates functions, see there)
SQL_SOURCES = sql/header.sql $(sort $(wildcard sql/types/*.sql)) \
              $(sort $(wildcard sql/tables/*.sql)) $(sort $(wildcard sql/functions/*.sql)) \
              $(sort $(wildcard sql/views/*.sql)) sql/bind_dblink.sql
DATA_built  = sql/$(EXTENSION)--$(EXTVERSION).sql
# frozen install scripts of earlier releases (so CREATE EXTENSION ... VERSION works) and update scripts
DATA        = $(filter-out sql/releases/$(EXTENSION)--$(EXTVERSION).sql,$(sort $(wildcard sql/releases/$(EXTENSION)--*.sql))) \
              $(sort $(wildcard sql/updates/$(EXTENSION)--*--*.sql))
DOCS        = doc/$(EXTENSION).md

# the same pgTAP files serve pg_regress (make installcheck) and pg_prove (make test)
TESTS        = $(sort $(wildcard test/sql/*.sql))
REGRESS      = $(patsubst test/sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=test --outputdir=. --load-extension=dblink

EXTRA_CLEAN  = $(EXTENSION)-$(EXTVERSION).zip

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

ifeq ($(shell test $(MAJORVERSION) -ge 13 2>/dev/null && echo yes),)
$(error parallel_dblink needs PostgreSQL 13 or later, found $(MAJORVERSION))
endif

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control
	cat $(SQL_SOURCES) > $@

# pg_prove runs the pgTAP files against $PGDATABASE (PGHOST, PGPORT, PGUSER as usual)
.PHONY: test dist
test:
	pg_prove --failures --ext .sql $(TESTS)

dist:
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD
