#!/bin/bash
# KAFKA_* variables to server.properties by the official apache/kafka image's rule
# (KAFKA_ dropped, lower case, `___` -> `-`, `__` -> `_`, `_` -> `.`), then format and start.
set -euo pipefail

conf="$(mktemp -d /tmp/kafka-config.XXXXXX)"
props="$conf/server.properties"
: >"$props"
# The JVM options the official image reads too; they are not broker properties.
not_properties=' KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_LOG4J_OPTS KAFKA_JMX_OPTS KAFKA_GC_LOG_OPTS '
while IFS='=' read -r -d '' name value; do
  case "$name" in KAFKA_*) ;; *) continue ;; esac
  [[ "$not_properties" == *" $name "* ]] && continue
  key="$(printf '%s' "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')"
  printf '%s=%s\n' "$key" "$value" >>"$props"
done < <(env -0)

# shellcheck disable=SC2206 # the option strings are word lists, as kafka-run-class.sh treats them
jvm=(${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} ${KAFKA_JVM_PERFORMANCE_OPTS:-} ${KAFKA_OPTS:-}
  -Djava.awt.headless=true -Dlog4j2.configurationFile=/opt/kafka/log4j2.properties)
# CDS_ARCHIVE_DIR, a writable folder that outlives the container: class archives written at the
# first exit and mapped on later starts (about half the start-up CPU, scripts/stack/jvm-flags.js).
# One archive per program: the two load different classes and would keep replacing one.
format_cds=() server_cds=()
if [[ -n "${CDS_ARCHIVE_DIR:-}" && -w "${CDS_ARCHIVE_DIR}" ]]; then
  format_cds=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$CDS_ARCHIVE_DIR/kafka-format.jsa")
  server_cds=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$CDS_ARCHIVE_DIR/kafka-server.jsa")
fi
export CLASSPATH='/opt/kafka/libs/*'
java "${jvm[@]}" "${format_cds[@]}" kafka.tools.StorageTool format -t "${CLUSTER_ID:?CLUSTER_ID names the cluster to format}" -c "$props"
exec java "${jvm[@]}" "${server_cds[@]}" kafka.Kafka "$props"
