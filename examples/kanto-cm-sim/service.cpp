#include "service.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>

namespace sim {
namespace {

grpc::Status status_of(const std::string& error) {
    return error.empty() ? grpc::Status::OK : grpc::Status(grpc::StatusCode::UNKNOWN, error);
}

}  // namespace

grpc::Status containers_service::Create(grpc::ServerContext*, const kcm::svc::CreateContainerRequest* req,
                                        kcm::svc::CreateContainerResponse* resp) {
    // The real daemon dereferences nil here and crashes; we answer instead (kanto-cm-grpc.md §12.10).
    if (!req->has_container() || !req->container().has_image()) {
        return status_of("the containers image configuration is invalid");
    }
    auto out = engine_.create(req->container());
    if (out.error.empty()) *resp->mutable_container() = std::move(out.container);
    return status_of(out.error);
}

grpc::Status containers_service::Get(grpc::ServerContext*, const kcm::svc::GetContainerRequest* req,
                                     kcm::svc::GetContainerResponse* resp) {
    if (auto c = engine_.get(req->id())) *resp->mutable_container() = std::move(*c);
    return grpc::Status::OK;  // an unknown id is OK with an empty response
}

grpc::Status containers_service::List(grpc::ServerContext*, const kcm::svc::ListContainersRequest*,
                                      kcm::svc::ListContainersResponse* resp) {
    for (auto& c : engine_.list()) *resp->add_containers() = std::move(c);
    return grpc::Status::OK;
}

grpc::Status containers_service::ListStream(grpc::ServerContext*, const kcm::svc::ListContainersRequest*,
                                            grpc::ServerWriter<kcm::svc::ListContainerMessage>*) {
    return grpc::Status::OK;  // a stub in the real daemon: no messages
}

grpc::Status containers_service::Start(grpc::ServerContext*, const kcm::svc::StartContainerRequest* req,
                                       google::protobuf::Empty*) {
    return status_of(engine_.start(req->id()));
}

grpc::Status containers_service::Attach(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<kcm::svc::AttachContainerResponse, kcm::svc::AttachContainerRequest>* stream) {
    kcm::svc::AttachContainerRequest first;
    if (!stream->Read(&first)) return grpc::Status::OK;
    kcm::svc::AttachContainerResponse resp;
    if (!engine_.get(first.id())) {
        const auto error = fmt::format("no such container with id = {} exists", first.id());
        resp.set_read_data(error + "\r\n");
        stream->Write(resp);
        return status_of(error);
    }
    resp.set_id(first.id());
    resp.set_std_in(first.std_in());
    stream->Write(resp);
    // The simulator does not relay stdio (output goes to the container's output.log); like the real
    // daemon the stream ends when the container's process does.
    while (!ctx->IsCancelled()) {
        auto c = engine_.get(first.id());
        if (!c || (c->state().status() != "Running" && c->state().status() != "Paused")) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return grpc::Status::OK;
}

grpc::Status containers_service::Stop(grpc::ServerContext*, const kcm::svc::StopContainerRequest* req,
                                      google::protobuf::Empty*) {
    return status_of(engine_.stop(req->id(), req->has_stopoptions() ? &req->stopoptions() : nullptr));
}

grpc::Status containers_service::Update(grpc::ServerContext*, const kcm::svc::UpdateContainerRequest* req,
                                        google::protobuf::Empty*) {
    return status_of(engine_.update(req->id(), req->has_updateoptions() ? &req->updateoptions() : nullptr));
}

grpc::Status containers_service::Restart(grpc::ServerContext*, const kcm::svc::RestartContainerRequest*,
                                         google::protobuf::Empty*) {
    // The real handler returns a nil reply, which grpc-go fails to marshal.
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "grpc: error while marshaling: proto: Marshal called with nil");
}

grpc::Status containers_service::Pause(grpc::ServerContext*, const kcm::svc::PauseContainerRequest* req,
                                       google::protobuf::Empty*) {
    return status_of(engine_.pause(req->id()));
}

grpc::Status containers_service::Unpause(grpc::ServerContext*, const kcm::svc::UnpauseContainerRequest* req,
                                         google::protobuf::Empty*) {
    return status_of(engine_.unpause(req->id()));
}

grpc::Status containers_service::Rename(grpc::ServerContext*, const kcm::svc::RenameContainerRequest* req,
                                        google::protobuf::Empty*) {
    return status_of(engine_.rename(req->id(), req->name()));
}

grpc::Status containers_service::Remove(grpc::ServerContext*, const kcm::svc::RemoveContainerRequest* req,
                                        google::protobuf::Empty*) {
    return status_of(
        engine_.remove(req->id(), req->force(), req->has_stopoptions() ? &req->stopoptions() : nullptr));
}

grpc::Status containers_service::Logs(grpc::ServerContext*, const kcm::svc::GetLogsRequest* req,
                                      grpc::ServerWriter<kcm::svc::GetLogsResponse>* writer) {
    auto out = engine_.logs(req->id(), req->tail());
    if (!out.error.empty()) return status_of(out.error);
    kcm::svc::GetLogsResponse resp;
    for (auto& m : out.messages) {
        resp.set_log(std::move(m));
        if (!writer->Write(resp)) break;
    }
    return grpc::Status::OK;
}

grpc::Status system_info_service::ProjectInfo(grpc::ServerContext*, const google::protobuf::Empty*,
                                              kcm::sysinfo::ProjectInfoResponse* resp) {
    auto* info = resp->mutable_project_info();
    info->set_project_version("1.0.0");
    info->set_build_time("unknown");
    info->set_api_version("1.0.0");
    info->set_git_commit("kanto-cm-sim");
    return grpc::Status::OK;
}

}  // namespace sim
