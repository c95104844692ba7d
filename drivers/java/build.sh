#!/usr/bin/env bash
# Builds the Java SDK adapter into drivers/java/target/cbspec-java-driver.jar (one shaded jar),
# with com.aliyun.oss:aliyun-sdk-oss and every plugin pinned in pom.xml. Needs Java 17+ and Maven.
# Safe to run again. The Maven repository defaults to drivers/java/.m2/repository; set
# CBSPEC_MAVEN_REPO to use another one (e.g. ~/.m2/repository).
#   run: java -jar drivers/java/target/cbspec-java-driver.jar
set -euo pipefail
cd "$(dirname "$0")"
repo="${CBSPEC_MAVEN_REPO:-$PWD/.m2/repository}"
# (Debian's Maven 3.8 prints bare ESC[0m colour resets even with -q; they are dropped.)
mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$repo" package 2>&1 | sed 's/\x1b\[0m//g'
test -f target/cbspec-java-driver.jar
