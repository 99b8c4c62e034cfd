#include "manifest.hpp"

#include <optional>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <boost/json.hpp>

#include "merge_patch.hpp"

#include "container_json.hpp"
#include "container_rules.hpp"

namespace deploy {
namespace json = boost::json;
namespace pb = google::protobuf;
namespace {

// The auto-deployer's template of format (a) (kanto_internal_ctr_repr.json.template.in): what a
// converted (b) manifest gets where it says nothing, e.g. logs json-file with 2 x "1M".
constexpr const char* internal_template = R"({
  "id": "", "name": "", "image": {"name": "", "decrypt_config": null},
  "host_name": "", "domain_name": "", "resolv_conf_path": "", "hosts_path": "", "hostname_path": "",
  "mounts": [], "hooks": [],
  "host_config": {
    "devices": [], "network_mode": "bridge", "privileged": false,
    "restart_policy": {"maximum_retry_count": 0, "retry_timeout": 0, "type": "unless-stopped"},
    "runtime": "io.containerd.runc.v2", "extra_hosts": [], "port_mappings": [],
    "log_config": {"driver_config": {"type": "json-file", "max_files": 2, "max_size": "1M", "root_dir": ""},
                   "mode_config": {"mode": "blocking", "max_buffer_size": ""}},
    "resources": null
  },
  "io_config": {"attach_stderr": false, "attach_stdin": false, "attach_stdout": false, "open_stdin": false,
                "stdin_once": false, "tty": false},
  "config": {"env": [], "cmd": []},
  "network_settings": null,
  "state": {"pid": -1, "started_at": "", "error": "", "exit_code": 0, "finished_at": "", "exited": false,
            "dead": false, "restarting": false, "paused": false, "running": false, "status": "",
            "oom_killed": false},
  "created": "", "manually_stopped": false, "restart_count": 0
})";

// The JSON key of a proto field in format (a): Rust's snake_case of the proto name (oomKilled ->
// oom_killed).
std::string key_of(const pb::FieldDescriptor& f) {
    std::string out;
    for (char ch : f.name()) {
        if (ch >= 'A' && ch <= 'Z') {
            out += '_';
            out += static_cast<char>(ch - 'A' + 'a');
        } else {
            out += ch;
        }
    }
    return out;
}

// Fields newer than the protos the auto-deployer was built from: optional here, so a manifest
// written for it stays valid.
bool newer_than_kad(const pb::FieldDescriptor& f) {
    return f.containing_type()->name() == "HostConfig" && f.name() == "extra_capabilities";
}

std::string kind_of(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null:
            return "null";
        case json::kind::bool_:
            return "a boolean";
        case json::kind::int64:
        case json::kind::uint64:
            return "an integer";
        case json::kind::double_:
            return "a number";
        case json::kind::string:
            return "a string";
        case json::kind::array:
            return "an array";
        case json::kind::object:
            return "an object";
    }
    return "a value";
}

std::string read_message(const json::object& o, pb::Message& m, const std::string& where);

// One value of field `f` (an element, for lists) into `m`.
std::string read_value(const json::value& v, const pb::FieldDescriptor& f, pb::Message& m,
                       const std::string& where) {
    const auto* r = m.GetReflection();
    const bool rep = f.is_repeated();
    auto wrong = [&](const char* wanted) {
        return "invalid type at \"" + where + "\": " + kind_of(v) + ", expected " + wanted;
    };
    switch (f.cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING:
            if (!v.is_string()) return wrong("a string");
            rep ? r->AddString(&m, &f, std::string(v.as_string()))
                : r->SetString(&m, &f, std::string(v.as_string()));
            return {};
        case pb::FieldDescriptor::CPPTYPE_BOOL:
            if (!v.is_bool()) return wrong("a boolean");
            rep ? r->AddBool(&m, &f, v.as_bool()) : r->SetBool(&m, &f, v.as_bool());
            return {};
        case pb::FieldDescriptor::CPPTYPE_INT64:
        case pb::FieldDescriptor::CPPTYPE_INT32: {
            std::int64_t n = 0;
            if (v.is_int64()) {
                n = v.as_int64();
            } else if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
                n = static_cast<std::int64_t>(v.as_uint64());
            } else {
                return wrong("an integer");
            }
            if (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_INT32) {
                if (n < INT32_MIN || n > INT32_MAX) return wrong("a 32-bit integer");
                rep ? r->AddInt32(&m, &f, static_cast<std::int32_t>(n))
                    : r->SetInt32(&m, &f, static_cast<std::int32_t>(n));
            } else {
                rep ? r->AddInt64(&m, &f, n) : r->SetInt64(&m, &f, n);
            }
            return {};
        }
        case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
            if (!v.is_object()) return wrong("an object");
            auto* sub = rep ? r->AddMessage(&m, &f) : r->MutableMessage(&m, &f);
            return read_message(v.as_object(), *sub, where);
        }
        default:
            return "unsupported field type at \"" + where + "\"";
    }
}

// A map<string, Message> field: a JSON object whose members are the entries.
std::string read_map(const json::value& v, const pb::FieldDescriptor& f, pb::Message& m,
                     const std::string& where) {
    if (!v.is_object()) return "invalid type at \"" + where + "\": " + kind_of(v) + ", expected an object";
    const auto* r = m.GetReflection();
    for (const auto& [k, value] : v.as_object()) {
        auto* entry = r->AddMessage(&m, &f);
        const auto* key_field = entry->GetDescriptor()->FindFieldByName("key");
        const auto* value_field = entry->GetDescriptor()->FindFieldByName("value");
        entry->GetReflection()->SetString(entry, key_field, std::string(k));
        if (auto e = read_value(value, *value_field, *entry, where + "." + std::string(k)); !e.empty())
            return e;
    }
    return {};
}

// Format (a): every scalar, string, list and map is mandatory; sub-messages may be missing or
// null; unknown keys are ignored; JSON types are strict.
std::string read_message(const json::object& o, pb::Message& m, const std::string& where) {
    const auto* d = m.GetDescriptor();
    for (int i = 0; i < d->field_count(); ++i) {
        const auto& f = *d->field(i);
        const auto key = key_of(f);
        const auto path = where.empty() ? key : where + "." + key;
        const json::value* v = o.if_contains(key);
        const bool optional =
            (f.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && !f.is_repeated()) || newer_than_kad(f);
        if (v == nullptr || v->is_null()) {
            if (optional) continue;
            return "missing key \"" + path + "\"";
        }
        if (f.is_map()) {
            if (auto e = read_map(*v, f, m, path); !e.empty()) return e;
        } else if (f.is_repeated()) {
            if (!v->is_array())
                return "invalid type at \"" + path + "\": " + kind_of(*v) + ", expected an array";
            for (const auto& item : v->as_array()) {
                if (auto e = read_value(item, f, m, path + "[]"); !e.empty()) return e;
            }
        } else if (auto e = read_value(*v, f, m, path); !e.empty()) {
            return e;
        }
    }
    return {};
}

// The auto-deployer expands a (b) manifest over its template with an RFC 7386 merge patch.
using kanto::merge_patch;

// Format (b) -> (a): expand over the template, then map the keys the auto-deployer maps.
std::variant<json::object, std::string> convert(const json::value& doc) {
    json::value expanded = json::parse(internal_template);
    merge_patch(expanded, doc);
    if (!expanded.is_object()) return std::string("the manifest is not a JSON object");
    auto& e = expanded.as_object();
    json::object out = json::parse(internal_template).as_object();
    const auto* name = e.if_contains("container_name");
    if (name == nullptr) return std::string("missing key \"container_name\"");
    out["name"] = *name;
    const auto* image = e.if_contains("image");
    if (image == nullptr) return std::string("missing key \"image\"");
    out["image"] = *image;
    for (auto [from, to] : {std::pair{"container_id", "id"},
                            {"domain_name", "domain_name"},
                            {"host_name", "host_name"},
                            {"mount_points", "mounts"},
                            {"config", "config"},
                            {"host_config", "host_config"}}) {
        if (const auto* v = e.if_contains(from)) out[to] = *v;
    }
    // A superset of the auto-deployer: Kanto's own key for a port mapping's protocol is "proto"
    // (the auto-deployer requires "protocol" and fails on "proto").
    if (auto* hc = out["host_config"].if_object()) {
        if (auto* ports = hc->if_contains("port_mappings"); ports != nullptr && ports->is_array()) {
            for (auto& p : ports->as_array()) {
                auto* po = p.if_object();
                if (po == nullptr || po->contains("protocol") || !po->contains("proto")) continue;
                json::value proto = po->at("proto");  // a copy: inserting may rehash the object
                (*po)["protocol"] = std::move(proto);
            }
        }
    }
    return out;
}

// Where in `text` the parser stopped: "line L, column C".
std::string position(const std::string& text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// The JSON object of a manifest, or why it is none.
std::variant<json::value, manifest_error> parse_object(const std::string& text) {
    json::stream_parser p;
    boost::system::error_code ec;
    const auto used = p.write_some(text.data(), text.size(), ec);
    if (!ec) p.finish(ec);
    if (ec) return manifest_error{position(text, used) + ": " + ec.message()};
    auto doc = p.release();
    if (!doc.is_object()) return manifest_error{"the manifest is " + kind_of(doc) + ", not a JSON object"};
    return doc;
}

std::optional<manifest_error> check_image(const kcm::types::Container& c) {
    // Never send a Create without an image (Kanto-CM dereferences it).
    if (!c.has_image() || c.image().name().empty())
        return manifest_error{"no image name (\"image\": {\"name\": ...})"};
    return std::nullopt;
}

}  // namespace

std::variant<kcm::types::Container, manifest_error> parse_container_config(const std::string& text) {
    auto parsed = parse_object(text);
    if (auto* e = std::get_if<manifest_error>(&parsed)) return *e;
    kcm::types::Container c;
    if (auto e = kanto::container_from_json(std::get<json::value>(parsed).as_object(), c); !e.empty()) {
        return manifest_error{e};
    }
    if (auto e = check_image(c)) return *e;
    const auto id = c.id();
    kanto::apply_create_defaults(c, id);
    if (id.empty()) c.clear_id();
    return c;
}

std::variant<manifest, manifest_error> parse_manifest(const std::string& text) {
    auto parsed = parse_object(text);
    if (auto* e = std::get_if<manifest_error>(&parsed)) return *e;
    const auto& doc = std::get<json::value>(parsed);

    manifest m{{}, manifest_format::internal};
    const auto direct = read_message(doc.as_object(), m.container, "");
    if (!direct.empty()) {
        m.container.Clear();
        m.format = manifest_format::container_config;
        auto converted = convert(doc);
        if (auto* e = std::get_if<std::string>(&converted)) {
            return manifest_error{"neither format: as a container config, " + *e +
                                  "; as the internal format, " + direct};
        }
        if (auto e = read_message(std::get<json::object>(converted), m.container, ""); !e.empty()) {
            return manifest_error{"as a container config: " + e};
        }
    }
    if (auto e = check_image(m.container)) return *e;
    return m;
}

bool is_manifest_name(const std::string& file_name) {
    return file_name.size() > 5 && file_name.compare(file_name.size() - 5, 5, ".json") == 0;
}

}  // namespace deploy
