#include "models/common/instrumentation.h"

#include <sstream>

namespace models {

uint64_t& Instrumentation::counter(const std::string& path) {
    auto found = counter_index_.find(path);
    if (found != counter_index_.end())
        return *found->second;
    counter_storage_.push_back(0);
    uint64_t* slot = &counter_storage_.back();
    counter_index_.emplace(path, slot);
    return *slot;
}

uint64_t Instrumentation::counter_value(const std::string& path) const {
    auto found = counter_index_.find(path);
    return found == counter_index_.end() ? 0 : *found->second;
}

EventKind Instrumentation::declare_event(const std::string& name, const std::string& description) {
    auto found = kind_index_.find(name);
    if (found == kind_index_.end()) {
        kinds_.push_back(Kind{name, false, {}});
        Kind& kind = kinds_.back();
        for (const Subscription& subscription : subscriptions_)
            subscribe(kind, subscription);
        found = kind_index_.emplace(name, &kind).first;
        descriptions_[name] = description;
    }
    return EventKind(found->second);
}

std::vector<std::string> Instrumentation::split_globs(const std::string& globs) {
    std::vector<std::string> out;
    std::stringstream stream(globs);
    std::string item;
    while (std::getline(stream, item, ','))
        if (!item.empty())
            out.push_back(item);
    return out;
}

void Instrumentation::add_sink(EventSink* sink, const std::string& globs) {
    subscriptions_.push_back(Subscription{sink, split_globs(globs)});
    for (Kind& kind : kinds_)
        subscribe(kind, subscriptions_.back());
}

void Instrumentation::subscribe(Kind& kind, const Subscription& subscription) {
    for (const std::string& glob : subscription.globs) {
        if (glob_match(glob, kind.name)) {
            kind.sinks.push_back(subscription.sink);
            kind.enabled = true;
            return;
        }
    }
}

void Instrumentation::emit(const EventKind& kind, Event event) {
    if (!kind.enabled())
        return;
    event.name = &kind.name();
    for (EventSink* sink : kind.state_->sinks)
        sink->on_event(event);
}

bool Instrumentation::glob_match(const std::string& pattern, const std::string& text) {
    // Iterative '*' / '?' matcher with backtracking to the last star.
    size_t p = 0, t = 0, star = std::string::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (star != std::string::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

}  // namespace models
