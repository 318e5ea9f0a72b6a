// `nmsim footprint` and `nmsim chips`: the hardware description layer on the command line.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hw/chip_profile.hpp"
#include "hw/mapper.hpp"

namespace nmsim {

nlohmann::json footprint_json(const FootprintReport& report, const std::string& config);
std::string footprint_table(const FootprintReport& report);
std::string footprint_csv(const FootprintReport& report);

std::string chips_list(const std::vector<ChipProfile>& chips);
std::string chip_details(const ChipProfile& chip);

} // namespace nmsim
