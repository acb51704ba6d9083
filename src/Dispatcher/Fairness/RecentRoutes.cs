namespace Dispatcher.Fairness;

/// <summary>Attempts sent, tokens and waits over the last minute, in five-second slots.</summary>
internal sealed class RecentRoutes
{
    private const int Slots = 12;
    private const double SlotSeconds = 5;

    private readonly long[] _jobs = new long[Slots];
    private readonly long[] _tokens = new long[Slots];
    private readonly double[] _waits = new double[Slots];
    private long _slot = -1;

    public void Add(int tokens, double waitSeconds, double now)
    {
        var i = Advance(now);
        _jobs[i]++;
        _tokens[i] += tokens;
        _waits[i] += waitSeconds;
    }

    public (long Jobs, long Tokens, double WaitSeconds) Sum(double now)
    {
        Advance(now);
        return (_jobs.Sum(), _tokens.Sum(), _waits.Sum());
    }

    // Clears the slots that passed since the last call; returns the current slot's index.
    private int Advance(double now)
    {
        var slot = (long)(now / SlotSeconds);
        if (_slot < 0 || slot - _slot >= Slots)
        {
            Array.Clear(_jobs);
            Array.Clear(_tokens);
            Array.Clear(_waits);
        }
        else
        {
            for (var s = _slot + 1; s <= slot; s++)
            {
                var i = (int)(s % Slots);
                _jobs[i] = 0;
                _tokens[i] = 0;
                _waits[i] = 0;
            }
        }

        _slot = Math.Max(_slot, slot);
        return (int)(_slot % Slots);
    }
}
