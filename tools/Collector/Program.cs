using SipTraceContext.Collector;

return await CollectorCommand.InvokeAsync(args, Console.Out, Console.Error, CancellationToken.None);
