using Seq2Seq.Gpu.Data;
using Seq2Seq.Gpu.Models;
using Seq2Seq.Gpu.Optimizers;
using Seq2Seq.Gpu.Tests.Infrastructure;
using Seq2Seq.Gpu.Training;

namespace Seq2Seq.Gpu.Tests.Training;

/// <summary>
/// The options a user spells in the public API: the optimizer as an <see cref="OptimizerKind"/> (the command line's
/// names map onto it, one spelling each way) and the seed as one non-negative <see cref="int"/> everywhere.
/// </summary>
public sealed class PublicOptionsTests
{
    [Test]
    public void Every_optimizer_kind_has_a_name_that_parses_back_to_it_and_creates_that_kind([Values] OptimizerKind kind)
    {
        string name = Optimizer.NameOf(kind);

        Assert.That(Optimizer.ParseKind(name), Is.EqualTo(kind));
        Assert.That(Optimizer.ParseKind(name.ToUpperInvariant()), Is.EqualTo(kind), "names are case-insensitive");
        Assert.That(Optimizer.Create(kind, 0.01f).Kind, Is.EqualTo(kind));
        Assert.That(Optimizer.Create(kind, 0.01f).Name, Is.EqualTo(name));
    }

    [Test]
    public void The_names_are_those_of_the_command_line_and_of_checkpoints()
    {
        Assert.That(Enum.GetValues<OptimizerKind>().Select(Optimizer.NameOf), Is.EqualTo(new[] { "rmsprop", "adam" }));
    }

    [TestCase("sgd")]
    [TestCase("")]
    [TestCase(null)]
    public void An_unknown_optimizer_name_is_refused_naming_it_and_the_choices(string? name)
    {
        Assert.That(() => Optimizer.ParseKind(name), Throws.ArgumentException.With.Message.Contains($"'{name}'").And.Message.Contains("rmsprop or adam"));
    }

    [Test]
    public void An_undefined_optimizer_kind_is_refused()
    {
        Assert.That(() => Optimizer.Create((OptimizerKind)9, 0.01f), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Optimizer.NameOf((OptimizerKind)9), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void A_negative_model_seed_is_refused_and_equal_seeds_give_equal_weights()
    {
        var pairs = TinyTasks.Reverse(8, 4, seed: 3);
        var text = TextEncoder.Build(pairs, TokenLevel.Character, VocabularyScheme.Standard);
        var config = Seq2SeqConfig.ForText(text, 4, 8);

        Assert.That(() => Seq2SeqModel.Create(TestDevices.Cpu(), text, config, seed: -1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("seed"));
        using var first = Seq2SeqModel.Create(TestDevices.Cpu(), text, config, seed: 7);
        using var second = Seq2SeqModel.Create(TestDevices.Cpu(), text, config, seed: 7);
        using var other = Seq2SeqModel.Create(TestDevices.Cpu(), text, config, seed: 8);
        Assert.That(second.Weights.Weights.ToArray(), Is.EqualTo(first.Weights.Weights.ToArray()));
        Assert.That(other.Weights.Weights.ToArray(), Is.Not.EqualTo(first.Weights.Weights.ToArray()));
    }
}
