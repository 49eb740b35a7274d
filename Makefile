# Set-up and entry points. `make pipeline` and `make test` work on a fresh machine:
# each creates the virtualenvs it needs first.

PYTHON ?= python3
VENV := .venv
TFLITE_VENV := .venv-tflite-runtime
OUT ?= runs/main

.PHONY: pipeline test aarch64-check venv venv-tflite-runtime test-data ship-models clean

pipeline: venv
	$(VENV)/bin/mnist-edge pipeline --out $(OUT)

test: venv venv-tflite-runtime test-data
	TFLITE_RUNTIME_PYTHON=$(CURDIR)/$(TFLITE_VENV)/bin/python $(VENV)/bin/python -m pytest

# The edge runtime under qemu on Debian bookworm arm64 (Raspberry Pi OS 64-bit); labels must
# match this machine's. Needs root (apt-get, debootstrap). See docs/raspberry-pi.md.
aarch64-check:
	bash scripts/aarch64/check.sh

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e ".[train,edge,dev]"
	touch $@

# tflite-runtime 2.14 (the last release, still common on a Pi) needs numpy<2, which
# TensorFlow 2.21 does not accept, so it gets a venv of its own for the compatibility test.
venv-tflite-runtime: $(TFLITE_VENV)/.installed
$(TFLITE_VENV)/.installed:
	$(PYTHON) -m venv $(TFLITE_VENV)
	$(TFLITE_VENV)/bin/pip install --quiet "numpy<2" "tflite-runtime==2.14.0" pillow
	touch $@

# Real data the edge tests use besides MNIST: OpenCV's digits.png from Debian's opencv-doc.
test-data:
	test -e /usr/share/doc/opencv-doc/examples/data/digits.png \
	  || test -e /usr/share/doc/opencv-doc/examples/data/digits.png.gz \
	  || (apt-get update && apt-get install -y --no-install-recommends opencv-doc)

clean:
	rm -rf $(VENV) $(TFLITE_VENV) runs

# Replace the models shipped inside edge_runtime/ with a pipeline run's (sidecars included).
ship-models:
	cp $(OUT)/model_int8.tflite $(OUT)/model_int8.json $(OUT)/model_float32.tflite $(OUT)/model_float32.json edge_runtime/models/
