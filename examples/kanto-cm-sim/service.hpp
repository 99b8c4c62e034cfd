// gRPC front of the simulator: translates the Containers and SystemInfo services to engine calls.
// Domain errors are UNKNOWN with Kanto-CM's text, like the real daemon.
#pragma once

#include "engine.hpp"
#include "kanto_cm_api.hpp"

namespace sim {

class containers_service final : public kcm::svc::Containers::Service {
  public:
    explicit containers_service(engine& e) : engine_(e) {}

    grpc::Status Create(grpc::ServerContext*, const kcm::svc::CreateContainerRequest*,
                        kcm::svc::CreateContainerResponse*) override;
    grpc::Status Get(grpc::ServerContext*, const kcm::svc::GetContainerRequest*,
                     kcm::svc::GetContainerResponse*) override;
    grpc::Status List(grpc::ServerContext*, const kcm::svc::ListContainersRequest*,
                      kcm::svc::ListContainersResponse*) override;
    grpc::Status ListStream(grpc::ServerContext*, const kcm::svc::ListContainersRequest*,
                            grpc::ServerWriter<kcm::svc::ListContainerMessage>*) override;
    grpc::Status Start(grpc::ServerContext*, const kcm::svc::StartContainerRequest*,
                       google::protobuf::Empty*) override;
    grpc::Status Attach(grpc::ServerContext*,
                        grpc::ServerReaderWriter<kcm::svc::AttachContainerResponse,
                                                 kcm::svc::AttachContainerRequest>*) override;
    grpc::Status Stop(grpc::ServerContext*, const kcm::svc::StopContainerRequest*,
                      google::protobuf::Empty*) override;
    grpc::Status Update(grpc::ServerContext*, const kcm::svc::UpdateContainerRequest*,
                        google::protobuf::Empty*) override;
    grpc::Status Restart(grpc::ServerContext*, const kcm::svc::RestartContainerRequest*,
                         google::protobuf::Empty*) override;
    grpc::Status Pause(grpc::ServerContext*, const kcm::svc::PauseContainerRequest*,
                       google::protobuf::Empty*) override;
    grpc::Status Unpause(grpc::ServerContext*, const kcm::svc::UnpauseContainerRequest*,
                         google::protobuf::Empty*) override;
    grpc::Status Rename(grpc::ServerContext*, const kcm::svc::RenameContainerRequest*,
                        google::protobuf::Empty*) override;
    grpc::Status Remove(grpc::ServerContext*, const kcm::svc::RemoveContainerRequest*,
                        google::protobuf::Empty*) override;
    grpc::Status Logs(grpc::ServerContext*, const kcm::svc::GetLogsRequest*,
                      grpc::ServerWriter<kcm::svc::GetLogsResponse>*) override;

  private:
    engine& engine_;
};

class system_info_service final : public kcm::sysinfo::SystemInfo::Service {
  public:
    grpc::Status ProjectInfo(grpc::ServerContext*, const google::protobuf::Empty*,
                             kcm::sysinfo::ProjectInfoResponse*) override;
};

}  // namespace sim
