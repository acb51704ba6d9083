using Dispatcher.BatchApi;
using Dispatcher.Hosting;
using Dispatcher.Monitoring;
using Dispatcher.ServiceDefaults;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults(args, "http://127.0.0.1:5080", DispatcherInstrumentation.Signals, new DispatcherModule());
builder.Services.AddDispatcherMonitoring(builder.Configuration);
builder.Services.AddBatchApi();

var app = builder.Build();
app.MapServiceDefaults();
app.MapDispatcherMonitoring();
app.MapBatchApi();
app.Run();
