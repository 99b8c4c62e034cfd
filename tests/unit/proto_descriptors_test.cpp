// The generated descriptors must match Kanto-CM's wire contract (kanto-cm-grpc.md §1).
#include <doctest/doctest.h>

#include <google/protobuf/descriptor.h>

#include "kanto_cm_api.hpp"

namespace {

const google::protobuf::FieldDescriptor* field(const google::protobuf::Descriptor* m, const char* name) {
    REQUIRE(m != nullptr);
    const auto* f = m->FindFieldByName(name);
    REQUIRE_MESSAGE(f != nullptr, m->full_name() << "." << name);
    return f;
}

constexpr const char* services_ns = "github.com.eclipse_kanto.container_management.containerm.api.services.";
constexpr const char* types_ns =
    "github.com.eclipse_kanto.container_management.containerm.api.types.containers.";

}  // namespace

TEST_CASE("service and method paths are Kanto-CM's") {
    const auto* containers = kcm::svc::Containers::service_full_name();
    CHECK(std::string(containers) == std::string(services_ns) + "containers.Containers");
    CHECK(std::string(kcm::sysinfo::SystemInfo::service_full_name()) ==
          std::string(services_ns) + "sysinfo.SystemInfo");

    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    const auto* svc = pool->FindServiceByName(containers);
    REQUIRE(svc != nullptr);
    CHECK(svc->method_count() == 14);
    const char* names[] = {"Create", "Get",     "List",  "ListStream", "Start",  "Attach", "Stop",
                           "Update", "Restart", "Pause", "Unpause",    "Rename", "Remove", "Logs"};
    for (int i = 0; i < 14; ++i) CHECK(svc->method(i)->name() == names[i]);
    CHECK(svc->FindMethodByName("ListStream")->server_streaming());
    CHECK(!svc->FindMethodByName("ListStream")->client_streaming());
    CHECK(svc->FindMethodByName("Attach")->client_streaming());
    CHECK(svc->FindMethodByName("Attach")->server_streaming());
    CHECK(svc->FindMethodByName("Logs")->server_streaming());
    CHECK(svc->FindMethodByName("Stop")->output_type()->full_name() == "google.protobuf.Empty");
    // The HTTP/2 :path a client sends: "/<service>/<method>".
    CHECK("/" + svc->full_name() + "/" + svc->FindMethodByName("Create")->name() ==
          "/github.com.eclipse_kanto.container_management.containerm.api.services.containers.Containers/"
          "Create");
    const auto* sys = pool->FindServiceByName(kcm::sysinfo::SystemInfo::service_full_name());
    REQUIRE(sys != nullptr);
    CHECK(sys->FindMethodByName("ProjectInfo")->input_type()->full_name() == "google.protobuf.Empty");
}

TEST_CASE("field numbers, names and types match the .proto tables") {
    const auto* c = kcm::types::Container::descriptor();
    CHECK(c->full_name() == std::string(types_ns) + "Container");
    CHECK(c->file()->name() == "api/types/containers/container.proto");
    CHECK(field(c, "host_config")->number() == 11);
    CHECK(field(c, "state")->number() == 15);
    CHECK(field(c, "restart_count")->number() == 18);
    CHECK(field(c, "restart_count")->type() == google::protobuf::FieldDescriptor::TYPE_INT64);
    CHECK(field(c, "mounts")->is_repeated());

    const auto* state = kcm::types::State::descriptor();
    CHECK(field(state, "oomKilled")->number() == 12);
    CHECK(field(state, "oomKilled")->json_name() == "oomKilled");
    CHECK(field(state, "status")->type() == google::protobuf::FieldDescriptor::TYPE_STRING);
    CHECK(field(state, "pid")->type() == google::protobuf::FieldDescriptor::TYPE_INT64);

    CHECK(field(kcm::svc::StopContainerRequest::descriptor(), "stopOptions")->number() == 2);
    CHECK(field(kcm::svc::RemoveContainerRequest::descriptor(), "stopOptions")->number() == 3);
    CHECK(field(kcm::svc::UpdateContainerRequest::descriptor(), "updateOptions")->number() == 2);

    const auto* attach = kcm::svc::AttachContainerRequest::descriptor();
    CHECK(field(attach, "data_to_write")->number() == 10);
    CHECK(field(attach, "data_to_write")->index() == 4);  // declared before fields 5 and 6
    CHECK(field(attach, "data_to_write")->type() == google::protobuf::FieldDescriptor::TYPE_BYTES);

    const auto* hc = kcm::types::HostConfig::descriptor();
    CHECK(field(hc, "extra_capabilities")->number() == 10);
    CHECK(field(hc, "port_mappings")->message_type()->full_name() == std::string(types_ns) + "PortMapping");
    CHECK(field(kcm::types::PortMapping::descriptor(), "host_port_end")->number() == 4);

    const auto* networks = field(kcm::types::NetworkSettings::descriptor(), "networks");
    CHECK(networks->is_map());
    CHECK(networks->message_type()->map_value()->message_type()->name() == "EndpointSettings");

    CHECK(kcm::svc::CreateContainerRequest::descriptor()->file()->name() ==
          "api/services/containers/containers.proto");
    const auto* info = field(kcm::sysinfo::ProjectInfoResponse::descriptor(), "project_info");
    CHECK(info->message_type()->full_name() ==
          "github.com.eclipse_kanto.container_management.containerm.api.types.sysinfo.ProjectInfo");
}

TEST_CASE("imports use Kanto's api/... paths") {
    const auto* f = kcm::types::HostConfig::descriptor()->file();
    REQUIRE(f->dependency_count() == 5);
    CHECK(f->dependency(0)->name() == "api/types/containers/device_mapping.proto");
    CHECK(f->dependency(4)->name() == "api/types/containers/resources.proto");
    const auto* svc = kcm::svc::CreateContainerRequest::descriptor()->file();
    CHECK(svc->dependency(svc->dependency_count() - 1)->name() == "google/protobuf/empty.proto");
}
