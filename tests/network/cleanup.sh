#!/bin/bash
# Removes what network_integration_tests may have left after a crash: test nft tables (iwtest_*),
# their namespaces (iwt-inet-*) and veths (iwv*). Never touches the real table inet ironward.
export PATH="$PATH:/usr/sbin:/sbin"
for t in $(nft list tables 2>/dev/null | awk '$2 == "inet" && $3 ~ /^iwtest_/ {print $3}'); do nft delete table inet "$t" || true; done
for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^iwt-inet-/ {print $1}'); do ip netns del "$ns" || true; done
for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^iwv[0-9]*$'); do ip link del "$l" || true; done
exit 0
