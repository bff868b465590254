using Seq2Seq.Gpu.Benchmarking;
using Seq2Seq.Gpu.Models;

namespace Seq2Seq.Gpu.Tests.Benchmarking;

/// <summary>The counted work of a configuration against values worked out by hand.</summary>
public sealed class ModelCostTests
{
    /// <summary>Embedding 128, hidden 256, 2 layers, vocabularies 1,000 / 1,200, batch 32, 10 + 12 steps.</summary>
    private static readonly BenchmarkConfig TwoLayerEmbedding = new("emb2", 1000, 1200, 128, 256, 2, 32, 10, 12);

    [Test]
    public void Keras_char_training_step_is_8_09_gflop()
    {
        // One-hot layer 0: no input product. Recurrent h·U, 2·256·1024 = 524,288 FLOPs a row, over 64·16 + 64·59 =
        // 4,800 rows; output projection 2·3,776·256·93 = 179,798,016; times 3 for the two backward products.
        double expected = 3.0 * ((4800.0 * 524_288) + 179_798_016);

        Assert.That(expected, Is.EqualTo(8_089_141_248));
        Assert.That(ModelCost.TrainingFlops(BenchmarkConfig.KerasChar), Is.EqualTo(expected));
    }

    [Test]
    public void Attention_adds_its_products_with_the_values_and_keys_over_the_source_rows()
    {
        // Values ē·W_c[0:H]: 2·64·16·256·256 = 134,217,728; queries h·W_c[H:2H]: 2·64·59·256·256 = 494,927,872; scores and
        // a·v: 2·2·64·59·16·256 = 61,865,984. General attention's keys ē·W_a: another 134,217,728. Times 3 each.
        var dot = BenchmarkConfig.KerasChar with { Attention = AttentionKind.Dot };
        var general = BenchmarkConfig.KerasChar with { Attention = AttentionKind.General };
        double plain = ModelCost.TrainingFlops(BenchmarkConfig.KerasChar);

        Assert.That(ModelCost.TrainingFlops(dot) - plain, Is.EqualTo(3.0 * 691_011_584));
        Assert.That(ModelCost.TrainingFlops(general) - plain, Is.EqualTo(3.0 * (691_011_584 + 134_217_728)));

        // A decode step also reads W_c[H:2H] (65,536 floats) and each row's keys and values (2·16·256 = 8,192 floats).
        Assert.That(ModelCost.DecodeBytesPerStep(dot, 1) - ModelCost.DecodeBytesPerStep(BenchmarkConfig.KerasChar, 1), Is.EqualTo((65_536 + 8_192) * 4));
        Assert.That(ModelCost.DecodeBytesPerStep(dot, 64) - ModelCost.DecodeBytesPerStep(BenchmarkConfig.KerasChar, 64), Is.EqualTo((65_536 + (64 * 8_192)) * 4));
    }

    [Test]
    public void Two_layer_embedding_training_step_counts_the_embedded_input_product_and_the_second_layer()
    {
        // A row: layer 0 input 2·128·1024 = 262,144, layer 1 input 2·256·1024 = 524,288, two recurrent products
        // 2 · 524,288: 1,835,008. Rows 32·10 + 32·12 = 704; output 2·384·256·1,200 = 235,929,600.
        double expected = 3.0 * ((704.0 * 1_835_008) + 235_929_600);

        Assert.That(expected, Is.EqualTo(4_583_325_696));
        Assert.That(ModelCost.TrainingFlops(TwoLayerEmbedding), Is.EqualTo(expected));
    }

    [Test]
    public void The_lstm_only_shape_counts_one_stack_and_no_output()
    {
        // DeepBench: 64·25 rows of (input 2·512·2048 + recurrent 2·512·2048), times 3.
        Assert.That(ModelCost.TrainingFlops(BenchmarkConfig.DeepBenchLstm), Is.EqualTo(3.0 * 1600 * 2 * 2_097_152));
        Assert.That(ModelCost.DecodeBytesPerStep(BenchmarkConfig.DeepBenchLstm, 1), Is.Zero);
    }

    [Test]
    public void Keras_char_decode_step_reads_the_recurrent_kernel_the_gathered_rows_and_the_output_projection()
    {
        // U 256·1024 + bias 1,024 + one gathered row of 1,024 + Wout 256·93 + bias 93 = 288,093 floats.
        Assert.That(ModelCost.DecodeBytesPerStep(BenchmarkConfig.KerasChar, 1), Is.EqualTo(1_152_372));

        // At batch 64, 64 gathered rows instead of 1: 63 · 1,024 floats more.
        Assert.That(ModelCost.DecodeBytesPerStep(BenchmarkConfig.KerasChar, 64), Is.EqualTo(1_152_372 + (63 * 1024 * 4)));
    }

    [Test]
    public void Two_layer_embedding_decode_step_reads_both_layers_the_embedding_row_and_the_output()
    {
        // Layer 0: U 262,144 + bias 1,024 + W 128·1024 = 131,072 + one embedding row of 128; layer 1: U 262,144 +
        // bias 1,024 + W 262,144; output 256·1,200 + 1,200. 1,228,080 floats.
        Assert.That(ModelCost.DecodeBytesPerStep(TwoLayerEmbedding, 1), Is.EqualTo(4_912_320));
    }

    [Test]
    public void A_decode_floor_is_the_bytes_over_the_bandwidth_of_the_level_they_fit_in()
    {
        var caches = new CacheSizes(1L << 20, 32L << 20, 2, true);
        var peaks = new MachinePeaks(Gpu.Compute.Host.HostInstructionSet.Avx512, 2, 200, 100, caches, 100, 50, 10);
        var measured = new BenchmarkResult { Config = "keras-char", Device = "cpu", Kernels = "simd", TrainStepMs = 80.891_412_48, DecodeStepUsBatch1 = 46.094_88 };

        var result = PeakComparison.Apply(measured, BenchmarkConfig.KerasChar, peaks);

        Assert.That(result.TrainGflops, Is.EqualTo(100).Within(1e-9));
        Assert.That(result.TrainFractionOfPeak, Is.EqualTo(0.5).Within(1e-9));
        Assert.That(result.DecodeLevel, Is.EqualTo("l2"), "1.15 MB fits in two cores' 1 MiB L2s");
        Assert.That(result.DecodeFloorUsBatch1, Is.EqualTo(11.52372).Within(1e-9), "1,152,372 B at 100 GB/s");
        Assert.That(result.DecodeBatch1OverFloor, Is.EqualTo(4).Within(1e-9));
        Assert.That(peaks.LevelHolding(3L << 20), Is.EqualTo(MemoryLevel.L3));
        Assert.That(peaks.LevelHolding(33L << 20), Is.EqualTo(MemoryLevel.Dram));
    }
}
