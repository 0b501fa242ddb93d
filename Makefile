# deskgate — the two front-door commands are `make run` and `make test`.
# Each installs what it needs (Debian packages when run as root, then a venv).

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
# Debian packages the build and tests need. Keep one per line in the list below.
APT_PACKAGES := \
	python3-venv \
	sqlite3 \
	libudev1 \
	gcc \
	linux-libc-dev \
	portaudio19-dev \
	python3-dev \
	device-tree-compiler \
	systemd \
	udev \
	bmap-tools \
	baresip-core \
	sip-tester \
	iproute2 \
	qemu-system-x86 \
	busybox-static \
	linux-image-amd64
# `make image` / `make image-test` only (never `make test`): the arm64 root under emulation.
IMAGE_PACKAGES := mmdebstrap qemu-user-static binfmt-support arch-test qemu-system-arm \
	mtools dosfstools fdisk e2fsprogs device-tree-compiler bmap-tools systemd

.PHONY: run test lint typecheck unit bench deps clean image image-deps image-test vbench

# The whole gateway on the simulated board: a live dashboard with keyboard headsets on a
# terminal, headless (traffic generator + scripted agents, logs) without one.
run: $(VENV)/.installed
	$(BIN)/deskgate run --board sim

test: $(VENV)/.installed lint typecheck unit

lint: $(VENV)/.installed
	$(BIN)/ruff check firmware host_tools tests
	$(BIN)/ruff format --check firmware host_tools tests

typecheck: $(VENV)/.installed
	$(BIN)/mypy

unit: $(VENV)/.installed
	$(BIN)/pytest -q -p no:cacheprovider

bench: $(VENV)/.installed
	$(BIN)/python -m tests.bench

# The virtual bench alone (docs/vbench.md): the guest session against real kernel devices in
# QEMU, its output and measurements. `make test` runs it too (tests/vbench).
vbench: $(VENV)/.installed
	$(BIN)/python board/vbench/vbench.py

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing Debian packages:$$missing (run as root, or: sudo apt-get install$$missing)"; exit 1; \
		fi; \
	fi

$(VENV)/.installed: pyproject.toml | deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The flashable image (docs/field.md): ~10+ min of CPU, needs root and network. Not in `test`.
IMAGE_BOARD ?= rpi4
image: $(VENV)/.installed image-deps
	$(BIN)/python -m host_tools.image.build --board $(IMAGE_BOARD)

# Boot smoke test of the built image's root file system in qemu-system-aarch64 -M virt.
image-test: $(VENV)/.installed image-deps
	$(BIN)/python -m host_tools.image.smoke --board $(IMAGE_BOARD)

image-deps:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(IMAGE_PACKAGES)"
	@# qemu-user needs binfmt_misc, which a fresh machine or container may not have mounted.
	@[ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	@[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
	@arch-test arm64 >/dev/null || { echo "arm64 binaries do not run here (binfmt/qemu-user)"; exit 1; }

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
