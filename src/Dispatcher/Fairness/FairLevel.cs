namespace Dispatcher.Fairness;

/// <summary>
/// Flows sharing one thing: the tenants of a model group's priority level, or the batches of one
/// tenant there. Its virtual clock is the start tag of the job last given capacity, so a flow that
/// comes back after being idle starts at the clock rather than with credit banked while it was away.
/// </summary>
internal sealed class FairLevel
{
    // A flow with nothing waiting is forgotten after this long, or at once when it has no credit or
    // debt the clock has not caught up with: it would start at the clock anyway.
    private const double ForgetAfterSeconds = 300;

    public Dictionary<string, FairFlow> Flows { get; } = new(StringComparer.Ordinal);

    /// <summary>The virtual clock.</summary>
    public double Clock { get; private set; }

    /// <summary>Adds a waiting job to <paramref name="name"/>'s flow, which starts at the clock if it was idle.</summary>
    public FairFlow Join(string name, bool withChildren)
    {
        if (!Flows.TryGetValue(name, out var flow))
        {
            Flows[name] = flow = new FairFlow { Tag = Clock, Children = withChildren ? new FairLevel() : null };
        }

        if (flow.Waiting++ == 0 && flow.Tag < Clock)
        {
            flow.Tag = Clock;
        }

        return flow;
    }

    /// <summary>Takes a waiting job off <paramref name="flow"/>.</summary>
    public void Leave(string name, FairFlow flow, double now)
    {
        if (--flow.Waiting > 0)
        {
            return;
        }

        flow.IdleSince = now;
        if (flow.Tag <= Clock && (flow.Children is null || flow.Children.Flows.Count == 0))
        {
            Flows.Remove(name);
        }
    }

    /// <summary>Whether some other flow with a job waiting is further below its share than <paramref name="flow"/>.</summary>
    public bool AnyAhead(FairFlow flow)
    {
        foreach (var other in Flows.Values)
        {
            if (other.Waiting > 0 && other.Tag < flow.Tag && !ReferenceEquals(other, flow))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Gives <paramref name="flow"/> capacity worth <paramref name="cost"/> (already divided by its weight).</summary>
    public void Charge(FairFlow flow, double cost)
    {
        Clock = Math.Max(Clock, flow.Tag);
        flow.Tag += cost;
    }

    /// <summary>Forgets flows idle for long; returns whether the level is empty.</summary>
    public bool Prune(double now)
    {
        List<string>? idle = null;
        foreach (var (name, flow) in Flows)
        {
            if (flow.Waiting == 0 && (flow.Children?.Prune(now) ?? true) && (flow.Tag <= Clock || now - flow.IdleSince > ForgetAfterSeconds))
            {
                (idle ??= []).Add(name);
            }
        }

        idle?.ForEach(name => Flows.Remove(name));
        return Flows.Count == 0;
    }
}
