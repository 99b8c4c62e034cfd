// Feature ids and definitions of the containers thing (things.md §6.1).
#pragma once

#include <string>
#include <string_view>

namespace twin::features {

inline constexpr std::string_view container_factory = "ContainerFactory";
inline constexpr std::string_view software_updatable = "SoftwareUpdatable";
inline constexpr std::string_view metrics = "Metrics";
inline constexpr std::string_view container_prefix = "Container:";

inline constexpr std::string_view container_factory_definition =
    "com.bosch.iot.suite.edge.containers:ContainerFactory:1.3.0";
inline constexpr std::string_view container_definition =
    "com.bosch.iot.suite.edge.containers:Container:1.5.0";
inline constexpr std::string_view software_updatable_definition =
    "org.eclipse.hawkbit.swupdatable:SoftwareUpdatable:2.0.0";
inline constexpr std::string_view metrics_definition = "com.bosch.iot.suite.edge.metric:Metrics:1.0.0";
inline constexpr std::string_view software_module_type = "oci:container";

inline std::string container_feature_id(std::string_view container_id) {
    return std::string(container_prefix) + std::string(container_id);
}

}  // namespace twin::features
