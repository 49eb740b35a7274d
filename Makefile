# Set-up and entry points. `make pipeline` and `make test` work on a fresh machine:
# each creates the virtualenvs it needs first.

PYTHON ?= python3
VENV := .venv
TFLITE_VENV := .venv-tflite-runtime
OUT ?= runs/main
# tflite-runtime 2.14 has wheels only up to Python 3.11, so its venv is built from a 3.11
# interpreter: python3.11, else $(PYTHON) if it is 3.11, else none (the test then says why it
# did not run; under CI=true it fails).
ifndef TFLITE_BASE_PYTHON
TFLITE_BASE_PYTHON := $(shell for p in python3.11 $(PYTHON); do \
  $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1 && command -v $$p && break; done)
endif
TFLITE_RUNTIME_PYTHON ?= $(CURDIR)/$(TFLITE_VENV)/bin/python
# The mnist.npz for the pipeline and the tests: $$MNIST_NPZ, ../shared/data, dataset/, the Keras
# cache or download; offline with none of them, one line that says to set MNIST_NPZ.
FIND_MNIST = npz=$$(PYTHONPATH=$(CURDIR) $(VENV)/bin/python tests/prerequisites.py) || exit 1

.PHONY: pipeline test test-quick aarch64-check venv venv-tflite-runtime test-data ship-models rejecter ship-rejecter clean

pipeline: venv
	@$(FIND_MNIST); set -x; $(VENV)/bin/mnist-edge pipeline --data $$npz --out $(OUT)

test: venv venv-tflite-runtime test-data
	@$(FIND_MNIST); set -x; MNIST_NPZ=$$npz TFLITE_RUNTIME_PYTHON=$(TFLITE_RUNTIME_PYTHON) $(VENV)/bin/python -m pytest

# For development: everything but the full-data proof and the slow tests (a few minutes less).
test-quick: venv
	@$(FIND_MNIST); set -x; MNIST_NPZ=$$npz $(VENV)/bin/python -m pytest -m "not full_data and not slow"

# docs/raspberry-pi.md's install, followed under qemu on Debian trixie and bookworm arm64
# (64-bit Raspberry Pi OS); labels must match this machine's. Needs root (apt-get, debootstrap,
# chroot). 5 to 11 minutes on 2 shared cores (docs/raspberry-pi.md).
aarch64-check:
	bash scripts/aarch64/check.sh

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e ".[train,edge,web,dev]"
	touch $@

# tflite-runtime 2.14 (the last release, still common on a Pi) needs numpy<2, which
# TensorFlow 2.21 does not accept, so it gets a venv of its own for the compatibility test.
venv-tflite-runtime: $(if $(TFLITE_BASE_PYTHON),$(TFLITE_VENV)/.installed)
	$(if $(TFLITE_BASE_PYTHON),,@echo "venv-tflite-runtime: no Python 3.11 found (tflite-runtime 2.14 has no wheel for \
	newer Pythons): the tflite-runtime compatibility test will not run; install python3.11 or set TFLITE_BASE_PYTHON" >&2)
$(TFLITE_VENV)/.installed:
	$(TFLITE_BASE_PYTHON) -m venv $(TFLITE_VENV)
	$(TFLITE_VENV)/bin/pip install --quiet "numpy<2" "tflite-runtime==2.14.0" pillow
	touch $@

# Real data and tools the edge tests use besides MNIST: OpenCV's digits.png from Debian's
# opencv-doc; Debian's chromium for the headless-browser test of `mnist-edge serve`; the
# mosquitto broker (the MQTT tests start their own on 127.0.0.1; Debian's package also enables
# a system service, which the tests do not need) and openssl for its TLS test.
test-data:
	test -e /usr/share/doc/opencv-doc/examples/data/digits.png \
	  || test -e /usr/share/doc/opencv-doc/examples/data/digits.png.gz \
	  || (apt-get update && apt-get install -y --no-install-recommends opencv-doc)
	test -x /usr/sbin/mosquitto && command -v openssl >/dev/null \
	  || (apt-get update && apt-get install -y --no-install-recommends mosquitto openssl)
	command -v chromium >/dev/null \
	  || (apt-get update && apt-get install -y --no-install-recommends chromium)

clean:
	rm -rf $(VENV) $(TFLITE_VENV) runs

# Replace the models shipped inside edge_runtime/ with a pipeline run's (sidecars included).
ship-models:
	cp $(OUT)/model_int8.tflite $(OUT)/model_int8.json $(OUT)/model_float32.tflite $(OUT)/model_float32.json edge_runtime/models/

# Train and export the "one digit or not" model the runtime uses to reject non-digits
# (about 8 minutes on 2 cores); `make ship-rejecter` then replaces the shipped one.
REJECTER_OUT ?= runs/rejecter
rejecter: venv
	@$(FIND_MNIST); $(VENV)/bin/mnist-edge train-rejecter --data $$npz --out $(REJECTER_OUT)

ship-rejecter:
	cp $(REJECTER_OUT)/rejecter_int8.tflite $(REJECTER_OUT)/rejecter_int8.json edge_runtime/models/
