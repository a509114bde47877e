// The lecture's character RNN. Part 1: a vanilla RNN learns "hello" (from "hell" predict "ello") and then writes
// "hello" from "h" alone, which needs memory: after "l" the next character is "l" the first time and "o" the second.
// Part 2: an LSTM learns a few sentences, with stateful truncated BPTT over the text, and writes a sample of them.
//
//   dotnet run -c Release --project samples/CharRnn
using System;
using System.Globalization;
using System.Text;
using RnnGen;
using RnnGen.Inference;
using RnnGen.Data;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// ---- Part 1: "hello" --------------------------------------------------------------------------------------------
CharVocabulary letters = CharVocabulary.FromText("hello");                   // e, h, l, o
int[] inputs = letters.Encode("hell");
int[] targets = letters.Encode("ello");
var hello = new HelloRnn(seed: 1);
var helloTrainer = new Trainer<int, int>(hello, new Adam(hello.Parameters, learningRate: 0.05f));
Console.WriteLine("Part 1: a vanilla RNN (hidden 8) learns \"hell\" -> \"ello\"");
for (int step = 1; step <= 100; step++)
{
    TrainerStepResult result = helloTrainer.TrainBatch(inputs, targets);
    if (step == 1 || step % 20 == 0)
        Console.WriteLine($"  step {step,3}  loss {result.Loss:F4}");
}
var state = hello.CreateState();
var probabilities = new float[HelloRnn.OutputSize];
var greedy = new StringBuilder("h");
for (int i = 0; i < 4; i++)
{
    hello.Step(state, letters.IdOf(greedy[^1]), probabilities);
    greedy.Append(letters[ArgMax(probabilities)]);
}
Console.WriteLine($"  generated from \"h\": {greedy}\n");

// ---- Part 2: a few sentences ------------------------------------------------------------------------------------
const string Text =
    "The quick brown fox jumps over the lazy dog. A recurrent network reads one character at a time and keeps " +
    "a memory of what it has seen. It learns to predict the next character, and by feeding its own guesses back " +
    "in, it writes new text. The quick brown fox jumps over the lazy dog again, because repetition helps it learn.";
CharVocabulary vocabulary = CharVocabulary.FromText(Text);
if (vocabulary.Count > TextLstm.VocabularySize)
    throw new InvalidOperationException($"The text has {vocabulary.Count} distinct characters; TextLstm is compiled for {TextLstm.VocabularySize}.");
var stream = new TokenStreamBatcher(vocabulary.Encode(Text), TextLstm.SequenceLength, TextLstm.BatchSize);
var model = new TextLstm(seed: 1);
var trainer = new Trainer<int, int>(model, new Adam(model.Parameters, learningRate: 0.01f))
{
    Clipping = TrainerClipping.ByGlobalNorm(5f),
};
Console.WriteLine($"Part 2: an LSTM (hidden 64) learns {Text.Length} characters ({vocabulary.Count} distinct), {stream.BatchSize} streams x {stream.WindowCount} windows of {stream.SequenceLength}");
for (int epoch = 1; epoch <= 100; epoch++)
{
    double loss = 0;
    for (int window = 0; window < stream.WindowCount; window++)
        loss += trainer.TrainWindow(stream, window).Loss;
    loss /= stream.WindowCount;
    if (epoch == 1 || epoch % 20 == 0)
        Console.WriteLine($"  epoch {epoch,3}  loss {loss:F4}  perplexity {Math.Exp(loss):F3}");
}
Console.WriteLine($"  sample (temperature 0.5): {Generate(model, vocabulary, "The ", 200, 0.5f)}");

static int ArgMax(ReadOnlySpan<float> values)
{
    int best = 0;
    for (int i = 1; i < values.Length; i++)
    {
        if (values[i] > values[best])
            best = i;
    }
    return best;
}

// Feeds the prompt, then draws each next character with probability p^(1/temperature) (renormalised), which is
// softmax(logits / temperature), and feeds it back in.
static string Generate(TextLstm model, CharVocabulary vocabulary, string prompt, int length, float temperature)
{
    var state = model.CreateState();
    var probabilities = new float[TextLstm.OutputSize];
    var scratch = new float[vocabulary.Count];
    var random = new RnnRandom(7);
    var text = new StringBuilder(prompt);
    foreach (char c in prompt)
        model.Step(state, vocabulary.IdOf(c), probabilities);
    for (int i = 0; i < length; i++)
    {
        int token = Sampling.SampleWithTemperature(probabilities.AsSpan(0, vocabulary.Count), temperature, ref random, scratch);
        text.Append(vocabulary[token]);
        model.Step(state, token, probabilities);
    }
    return text.ToString();
}

// The lecture's network: one-hot letters h, e, l, o in, a vanilla RNN, next-letter probabilities out.
[RnnModel(SequenceLength = 4, BatchSize = 1)]
[OneHot(4)]
[SimpleRnn(8)]
[Dense(4, Activation = DenseActivation.Softmax)]
internal sealed partial class HelloRnn { }

// Vocabulary 40 leaves room for the text's distinct characters; unused ids are never seen.
[RnnModel(SequenceLength = 16, BatchSize = 4)]
[Embedding(40, 16)]
[Lstm(64)]
[Dense(40, Activation = DenseActivation.Softmax)]
internal sealed partial class TextLstm { }
