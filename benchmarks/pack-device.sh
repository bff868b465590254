#!/usr/bin/env bash
# Packs the programs the GPU run needs into the ignored folder .device/ (see ../shared/device/pack.sh):
# the seq2seq command (bench) and the test program (Gpu tests). The BenchmarkDotNet suites stay here: they build a
# program per job, which needs the .NET SDK that the GPU machine lacks, and would not fit the 64 MiB that travels.
# Then, with the device tool: run `bash benchmarks/gpu-run.sh` with carry [".device"].
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
../shared/device/pack.sh src/Seq2Seq.Cli/Seq2Seq.Cli.csproj tests/Seq2Seq.Gpu.Tests/Seq2Seq.Gpu.Tests.csproj
# pack.sh names an app folder after its project, and run.sh looks for NAME/NAME.dll: the CLI's assembly is seq2seq.
rm -rf .device/apps/seq2seq && mv .device/apps/Seq2Seq.Cli .device/apps/seq2seq
# The CLI's serve command (and so the test program) names ASP.NET Core's shared framework, which the runtime archive
# does not carry: with it, .device would outgrow the 64 MiB that travels. Nothing the GPU run calls (bench, devices,
# translate, the Gpu tests) loads it, so the packed programs drop it from their runtimeconfig (serve there is a
# one-line error: it cannot load Microsoft.AspNetCore).
for config in .device/apps/*/*.runtimeconfig.json; do
  python3 - "$config" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    config = json.load(f)
options = config["runtimeOptions"]
kept = [fw for fw in options.get("frameworks", []) if fw["name"] != "Microsoft.AspNetCore.App"]
if "frameworks" in options:
    del options["frameworks"]
    if len(kept) == 1:
        options["framework"] = kept[0]
    else:
        options["frameworks"] = kept
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY
done
echo "packed: $(ls .device/apps | tr '\n' ' ')"
