// kanto-cm-ctl: a small Kanto-CM gRPC client (like the kanto-cm CLI) for demos and manual checks.
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <boost/program_options.hpp>

#include "kanto_cm_api.hpp"

namespace po = boost::program_options;

namespace {

int fail(const grpc::Status& st) {
    std::cerr << "kanto-cm-ctl: " << st.error_message() << " (gRPC code " << st.error_code() << ")\n";
    return 1;
}

std::unique_ptr<grpc::ClientContext> context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ctx;
}

}  // namespace

int main(int argc, char** argv) {
    std::string socket_path = "/run/container-management/container-management.sock";
    std::string command, name;
    std::vector<std::string> args, env;
    bool force = false;
    po::options_description desc(
        "kanto-cm-ctl [--socket PATH] COMMAND [ARGS]\n"
        "  list                      containers as a table\n"
        "  get ID                    one container as JSON\n"
        "  create IMAGE [CMD...]     create (--name, --env); prints the id\n"
        "  start|stop|pause|resume ID\n"
        "  rename ID NAME\n"
        "  remove ID                 (--force to remove a running one)\n"
        "options");
    desc.add_options()("help,h", "show this help")("socket", po::value(&socket_path), "Kanto-CM unix socket")(
        "name", po::value(&name), "container name for create")("env", po::value(&env)->composing(),
                                                               "NAME=value for create (repeatable)")(
        "force", po::bool_switch(&force), "force remove")("command", po::value(&command))("args",
                                                                                          po::value(&args));
    po::positional_options_description pos;
    pos.add("command", 1).add("args", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "kanto-cm-ctl: " << e.what() << "\n";
        return 2;
    }
    if (vm.count("help") != 0 || command.empty()) {
        std::cout << desc << "\n";
        return command.empty() && vm.count("help") == 0 ? 2 : 0;
    }
    auto channel = grpc::CreateChannel("unix:" + socket_path, grpc::InsecureChannelCredentials());
    auto stub = kcm::svc::Containers::NewStub(channel);
    const auto need = [&](std::size_t n) {
        if (args.size() < n) {
            std::cerr << "kanto-cm-ctl: '" << command << "' needs " << n << " argument(s)\n";
            std::exit(2);
        }
    };
    google::protobuf::Empty empty;

    if (command == "list") {
        kcm::svc::ListContainersResponse resp;
        if (auto st = stub->List(context().get(), {}, &resp); !st.ok()) return fail(st);
        std::vector<kcm::types::Container> all(resp.containers().begin(), resp.containers().end());
        std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name() < b.name(); });
        std::cout << fmt::format("{:<36}  {:<16}  {:<44}  {:<8}  {}\n", "ID", "NAME", "IMAGE", "STATUS",
                                 "PID");
        for (const auto& c : all) {
            std::cout << fmt::format("{:<36}  {:<16}  {:<44}  {:<8}  {}\n", c.id(), c.name(),
                                     c.image().name(), c.state().status(), c.state().pid());
        }
        return 0;
    }
    if (command == "get") {
        need(1);
        kcm::svc::GetContainerRequest req;
        req.set_id(args[0]);
        kcm::svc::GetContainerResponse resp;
        if (auto st = stub->Get(context().get(), req, &resp); !st.ok()) return fail(st);
        if (!resp.has_container()) {
            std::cerr << "kanto-cm-ctl: The requested container with ID = " << args[0] << " was not found.\n";
            return 1;
        }
        std::string json;
        google::protobuf::util::JsonPrintOptions opts;
        opts.add_whitespace = true;
        (void)google::protobuf::util::MessageToJsonString(resp.container(), &json, opts);
        std::cout << json;
        return 0;
    }
    if (command == "create") {
        need(1);
        kcm::svc::CreateContainerRequest req;
        auto* c = req.mutable_container();
        c->mutable_image()->set_name(args[0]);
        c->set_name(name);
        for (std::size_t i = 1; i < args.size(); ++i) c->mutable_config()->add_cmd(args[i]);
        for (const auto& e : env) c->mutable_config()->add_env(e);
        kcm::svc::CreateContainerResponse resp;
        if (auto st = stub->Create(context().get(), req, &resp); !st.ok()) return fail(st);
        std::cout << resp.container().id() << "\n";
        return 0;
    }
    if (command == "rename") {
        need(2);
        kcm::svc::RenameContainerRequest req;
        req.set_id(args[0]);
        req.set_name(args[1]);
        if (auto st = stub->Rename(context().get(), req, &empty); !st.ok()) return fail(st);
        return 0;
    }
    need(1);
    grpc::Status st;
    if (command == "start") {
        kcm::svc::StartContainerRequest req;
        req.set_id(args[0]);
        st = stub->Start(context().get(), req, &empty);
    } else if (command == "stop") {
        kcm::svc::StopContainerRequest req;
        req.set_id(args[0]);
        st = stub->Stop(context().get(), req, &empty);
    } else if (command == "pause") {
        kcm::svc::PauseContainerRequest req;
        req.set_id(args[0]);
        st = stub->Pause(context().get(), req, &empty);
    } else if (command == "resume") {
        kcm::svc::UnpauseContainerRequest req;
        req.set_id(args[0]);
        st = stub->Unpause(context().get(), req, &empty);
    } else if (command == "remove") {
        kcm::svc::RemoveContainerRequest req;
        req.set_id(args[0]);
        req.set_force(force);
        st = stub->Remove(context().get(), req, &empty);
    } else {
        std::cerr << "kanto-cm-ctl: unknown command '" << command << "'\n" << desc << "\n";
        return 2;
    }
    return st.ok() ? 0 : fail(st);
}
