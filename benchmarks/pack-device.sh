#!/usr/bin/env bash
# Packs the programs the GPU run needs into the ignored folder .device/ (see ../shared/device/pack.sh):
# the seq2seq command (bench) and the test program (Gpu tests). The BenchmarkDotNet suites stay here: they build a
# program per job, which needs the .NET SDK that the GPU machine lacks, and would not fit the 64 MiB that travels.
# Then, with the device tool: run `bash benchmarks/gpu-run.sh` with carry [".device"].
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
# The CLI (its serve command) and so the test program also run on ASP.NET Core's shared framework: the runtime archive
# must carry it (pack.sh makes one with Microsoft.NETCore.App only, and only when none is there).
dn=$(dirname "$(readlink -f "$(command -v dotnet)")")
mkdir -p .device
if [[ ! -f .device/dotnet.tar.gz || $(tar -tzf .device/dotnet.tar.gz) != *shared/Microsoft.AspNetCore.App/* ]]; then
  (root=$(pwd); cd "$dn" && tar -czf "$root/.device/dotnet.tar.gz" dotnet host shared/Microsoft.NETCore.App shared/Microsoft.AspNetCore.App)
fi
../shared/device/pack.sh src/Seq2Seq.Cli/Seq2Seq.Cli.csproj tests/Seq2Seq.Gpu.Tests/Seq2Seq.Gpu.Tests.csproj
# pack.sh names an app folder after its project, and run.sh looks for NAME/NAME.dll: the CLI's assembly is seq2seq.
rm -rf .device/apps/seq2seq && mv .device/apps/Seq2Seq.Cli .device/apps/seq2seq
echo "packed: $(ls .device/apps | tr '\n' ' ')"
