<?php
$pageTitle = "Terms Of Use";
include_once('nav.php');
?>
<body class="style-0">
<div data-custom-class="body" class="style-1">
    <div align="center" class="style-2">
        <div class="style-3" data-custom-class="title">
            <bdt class="style-4"><span class="style-5"></span></bdt>
            <bdt class="style-6"><strong class="style-7">TERMS OF USE</strong></bdt>
            <bdt class="style-8"></bdt>
        </div>
        <div class="style-9"><br class="style-10" /></div>
        <div class="style-11" data-custom-class="subtitle"><strong class="style-12">Last updated</strong>
            <bdt class="style-13"><strong class="style-14">August 28, 2023</strong></bdt>
        </div>
        <div class="style-15"><br class="style-16" /></div>
        <div class="style-17"><br class="style-18" /></div>
        <div class="style-19"><br class="style-20" /></div>
        <div class="style-21"><strong class="style-22"><span data-custom-class="heading_1" class="style-23">AGREEMENT TO OUR LEGAL TERMS</span></strong></div>
    </div>
