#include "software_update.hpp"

#include <cctype>

#include <boost/json.hpp>

#include "container_json.hpp"
#include "container_rules.hpp"
#include "go_json.hpp"

namespace twin {
namespace go_json = kanto::go_json;
namespace json = boost::json;
using go_json::member;
using go_json::target;

namespace {

std::string decode_artifact(const json::object& o, const target& t, su_artifact& a) {
    GO_JSON_TRY(go_json::get(member(o, "filename"), t.member("SoftwareArtifactAction", "filename", "string"),
                             a.filename));
    const json::object* download = nullptr;
    GO_JSON_TRY(go_json::get_object(
        member(o, "download"),
        t.member("SoftwareArtifactAction", "download", "map[datatypes.Protocol]*datatypes.Links"), download));
    if (download != nullptr) {
        for (auto [protocol, url] :
             {std::pair<const char*, std::string*>{"HTTP", &a.http_url}, {"HTTPS", &a.https_url}}) {
            const auto* links = download->if_contains(protocol);  // map keys match exactly
            if (links == nullptr || links->is_null()) continue;
            if (!links->is_object())
                return t.member("SoftwareArtifactAction", "download", "datatypes.Links")
                    .error(go_json::kind(*links));
            GO_JSON_TRY(
                go_json::get(member(links->as_object(), "url"), t.member("Links", "url", "string"), *url));
        }
    }
    const json::object* checksums = nullptr;
    GO_JSON_TRY(go_json::get_object(
        member(o, "checksums"), t.member("SoftwareArtifactAction", "checksums", "map[datatypes.Hash]string"),
        checksums));
    if (checksums != nullptr) {
        for (auto [hash, out] : {std::pair<const char*, std::string*>{"MD5", &a.md5},
                                 {"SHA1", &a.sha1},
                                 {"SHA256", &a.sha256}}) {
            GO_JSON_TRY(go_json::get(checksums->if_contains(hash),
                                     t.member("SoftwareArtifactAction", "checksums", "string"), *out));
        }
    }
    return {};
}

std::string decode_dependency(const json::object& o, const target& t, json::object& out) {
    std::string group, name, version, type;
    GO_JSON_TRY(
        go_json::get(member(o, "group"), t.member("DependencyDescription", "group", "string"), group));
    GO_JSON_TRY(go_json::get(member(o, "name"), t.member("DependencyDescription", "name", "string"), name));
    GO_JSON_TRY(
        go_json::get(member(o, "version"), t.member("DependencyDescription", "version", "string"), version));
    GO_JSON_TRY(go_json::get(member(o, "type"), t.member("DependencyDescription", "type", "string"), type));
    if (!group.empty()) out["group"] = group;
    out["name"] = name;
    out["version"] = version;
    if (!type.empty()) out["type"] = type;
    return {};
}

bool is_hex(const std::string& s) {
    if (s.size() % 2 != 0) return false;
    for (char c : s) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

}  // namespace

std::variant<update_action, std::string> decode_update_action(const json::value* value) {
    const target top{"", "", "datatypes.UpdateAction"};
    update_action out;
    const json::object* o = nullptr;
    if (auto e = go_json::get_object(value, top, o); !e.empty()) return e;
    if (o != nullptr) {
        if (auto e = go_json::get(member(*o, "correlationId"),
                                  top.member("UpdateAction", "correlationId", "string"), out.correlation_id);
            !e.empty())
            return e;
        const json::array* modules = nullptr;
        if (auto e = go_json::get_array(
                member(*o, "softwareModules"),
                top.member("UpdateAction", "softwareModules", "[]*datatypes.SoftwareModuleAction"), modules);
            !e.empty()) {
            return e;
        }
        for (const auto& m : modules != nullptr ? *modules : json::array{}) {
            const target mt = top.member("UpdateAction", "softwareModules", "datatypes.SoftwareModuleAction");
            if (m.is_null()) continue;
            if (!m.is_object()) return mt.error(go_json::kind(m));
            su_module module;
            const json::object* id = nullptr;
            if (auto e = go_json::get_object(
                    member(m.as_object(), "softwareModule"),
                    mt.member("SoftwareModuleAction", "softwareModule", "datatypes.SoftwareModuleID"), id);
                !e.empty()) {
                return e;
            }
            if (id != nullptr) {
                if (auto e = go_json::get(member(*id, "name"),
                                          mt.member("SoftwareModuleID", "name", "string"), module.name);
                    !e.empty())
                    return e;
                if (auto e = go_json::get(member(*id, "version"),
                                          mt.member("SoftwareModuleID", "version", "string"), module.version);
                    !e.empty())
                    return e;
            }
            const json::array* artifacts = nullptr;
            if (auto e = go_json::get_array(
                    member(m.as_object(), "artifacts"),
                    mt.member("SoftwareModuleAction", "artifacts", "[]*datatypes.SoftwareArtifactAction"),
                    artifacts);
                !e.empty()) {
                return e;
            }
            for (const auto& a : artifacts != nullptr ? *artifacts : json::array{}) {
                if (a.is_null()) continue;
                if (!a.is_object())
                    return mt.member("SoftwareModuleAction", "artifacts", "datatypes.SoftwareArtifactAction")
                        .error(go_json::kind(a));
                su_artifact artifact;
                if (auto e = decode_artifact(a.as_object(), mt, artifact); !e.empty()) return e;
                module.artifacts.push_back(std::move(artifact));
            }
            out.modules.push_back(std::move(module));
        }
    }
    if (out.modules.empty()) return std::string("there are no SoftwareModules to be installed");
    for (const auto& m : out.modules) {
        if (m.artifacts.empty()) {
            return "there are no SoftwareArtifacts referenced for SoftwareModule [Name.version] = [" +
                   m.name + "." + m.version + "]";
        }
    }
    return out;
}

std::variant<remove_action, std::string> decode_remove_action(const json::value* value) {
    const target top{"", "", "datatypes.RemoveAction"};
    remove_action out;
    const json::object* o = nullptr;
    if (auto e = go_json::get_object(value, top, o); !e.empty()) return e;
    if (o != nullptr) {
        if (auto e = go_json::get(member(*o, "correlationId"),
                                  top.member("RemoveAction", "correlationId", "string"), out.correlation_id);
            !e.empty())
            return e;
        if (auto e =
                go_json::get(member(*o, "forced"), top.member("RemoveAction", "forced", "bool"), out.forced);
            !e.empty())
            return e;
        const json::array* software = nullptr;
        if (auto e = go_json::get_array(
                member(*o, "software"),
                top.member("RemoveAction", "software", "[]*datatypes.DependencyDescription"), software);
            !e.empty()) {
            return e;
        }
        for (const auto& s : software != nullptr ? *software : json::array{}) {
            const target st = top.member("RemoveAction", "software", "datatypes.DependencyDescription");
            if (s.is_null()) continue;
            if (!s.is_object()) return st.error(go_json::kind(s));
            json::object dep;
            if (auto e = decode_dependency(s.as_object(), st, dep); !e.empty()) return e;
            out.software.push_back(std::move(dep));
        }
    }
    if (out.software.empty()) return std::string("there are no DependencyDescriptions to be removed");
    return out;
}

std::variant<kcm::types::Container, descriptor_error> parse_descriptor(const std::string& text) {
    boost::system::error_code ec;
    const auto doc = json::parse(text, ec);
    if (ec) return descriptor_error{false, "the container descriptor is not valid JSON: " + ec.message()};
    if (!doc.is_object())
        return descriptor_error{false, target{"", "", "types.Container"}.error(go_json::kind(doc))};
    kcm::types::Container c;
    if (auto e = kanto::container_from_json(doc.as_object(), c); !e.empty())
        return descriptor_error{false, e};
    // Validate a defaulted copy like Kanto-CM's Create would; Kanto-CM applies its own defaults.
    auto checked = c;
    kanto::apply_create_defaults(
        checked, checked.id().empty() ? "00000000-0000-4000-8000-000000000000" : checked.id());
    if (auto e = kanto::validate_container(checked); !e.empty()) return descriptor_error{true, e};
    return c;
}

std::string check_checksum(const su_artifact& a, const digests& actual) {
    const std::string* expected = nullptr;
    const std::string* got = nullptr;
    std::string name;
    std::size_t bytes = 0;
    if (!a.md5.empty())
        expected = &a.md5, got = &actual.md5, name = "md5", bytes = 16;
    else if (!a.sha1.empty())
        expected = &a.sha1, got = &actual.sha1, name = "sha1", bytes = 20;
    else if (!a.sha256.empty())
        expected = &a.sha256, got = &actual.sha256, name = "sha256", bytes = 32;
    if (expected == nullptr) return {};
    // An over-long but valid hex string is rejected here, not a panic as in the original (B5).
    if (!is_hex(*expected) || expected->size() > 2 * bytes) {
        return "the provided input hash is either invalid, not a hex string or the length exceeds " +
               std::to_string(bytes) + " bytes";
    }
    std::string lower = *expected;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower != *got) return name + " checksum does not match";
    return {};
}

json::value operation_status::to_json() const {
    json::object o{{"correlationId", correlation_id}, {"status", status}};
    if (software_module)
        o["softwareModule"] =
            json::object{{"name", software_module->first}, {"version", software_module->second}};
    if (!software.empty()) {
        json::array a;
        for (const auto& s : software) a.push_back(s);
        o["software"] = std::move(a);
    }
    if (!message.empty()) o["message"] = message;
    return o;
}

}  // namespace twin
