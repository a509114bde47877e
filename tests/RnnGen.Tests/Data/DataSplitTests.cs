using RnnGen.Data;

namespace RnnGen.Tests.Data;

public class DataSplitTests
{
    [Fact]
    public void TrainValidation_TenPercent_HoldsOutTheEnd()
    {
        int[] tokens = Sequence(100);

        (int[] train, int[] validation) = DataSplit.TrainValidation(tokens, 0.1);

        Assert.Equal(tokens[..90], train);
        Assert.Equal(tokens[90..], validation);
    }

    [Theory]
    [InlineData(1, 0.1, 0)]
    [InlineData(3, 0.1, 2)]
    [InlineData(7, 0.5, 3)]
    [InlineData(17, 0.25, 12)]
    [InlineData(33, 0.999, 0)]
    [InlineData(64, 1e-9, 63)]
    [InlineData(64, 0.0, 64)]
    [InlineData(0, 0.3, 0)]
    public void TrainValidation_Fractions_TrainIsFloorOfRemainingShareLikeNanoGpt(int length, double fraction, int expectedTrain)
    {
        int[] tokens = Sequence(length);

        (int[] train, int[] validation) = DataSplit.TrainValidation(tokens, fraction);

        Assert.Equal(expectedTrain, train.Length);
        Assert.Equal(length - expectedTrain, validation.Length);
        int[] joined = [.. train, .. validation];
        Assert.Equal(tokens, joined);
    }

    [Fact]
    public void TrainValidation_ReturnsCopies()
    {
        int[] tokens = Sequence(10);

        (int[] train, _) = DataSplit.TrainValidation(tokens, 0.5);
        tokens[0] = 99;

        Assert.Equal(0, train[0]);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void TrainValidation_FractionOutsideZeroToOne_Throws(double fraction)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.TrainValidation(Sequence(10), fraction));

        Assert.Equal("validationFraction", e.ParamName);
        Assert.Contains("[0, 1)", e.Message);
    }

    private static int[] Sequence(int length)
    {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++)
            tokens[i] = i;
        return tokens;
    }
}
