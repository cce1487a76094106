// demo-service: the command is DemoServiceKit's, so that a build with an OTLP exporter
// (Examples/OTel's demo-service-otlp) runs the same service.
import DemoServiceKit

await DemoService.runService()
