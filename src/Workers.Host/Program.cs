using Dispatcher.ServiceDefaults;
using Dispatcher.Workers.Hosting;
using Dispatcher.Workers.Monitoring;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults(args, "http://127.0.0.1:5081", WorkerInstrumentation.Signals, new WorkersModule());

var app = builder.Build();
app.MapServiceDefaults();
app.Run();
