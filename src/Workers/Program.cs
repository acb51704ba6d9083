using Dispatcher.Hosting;
using Dispatcher.Messaging;
using Dispatcher.Workers.Hosting;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddDispatcherSources(args);
builder.Services.AddWorkers();
builder.Services.AddCompletionBus(builder.Configuration, new WorkersModule());
builder.Build().Run();
