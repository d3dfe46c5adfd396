// The device-tree property tables of the model doc pages, rendered from the models' property
// tables (models/common/property_table.h): each docs/models/<page>.md holds its tables in its
// `## Device-tree properties` section. `dmasim list properties [PAGE]` prints them (paste the
// output over the tables to regenerate them); tests/unit/app/test_property_docs.cpp fails, with
// a diff, when a page and the code disagree.
#pragma once

#include <string>
#include <vector>

namespace platform {

// The doc pages (stems under docs/models/) that have property tables.
std::vector<std::string> property_doc_pages();

// The markdown of `page`'s tables: per kind of node, a line naming it and the table.
// ConfigError for a page that has none.
std::string property_doc(const std::string& page);

}  // namespace platform
